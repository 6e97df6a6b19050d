"""The page a person sees when signing in is paused, and what lifts the pause early.

Two things can pause sign-in: django-axes' lock of a (username, client address)
pair after `AXES_FAILURE_LIMIT` failures (for `AXES_COOLOFF_TIME`, counted from the
failure that locked it: failures while locked are not recorded, see
`AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`, so hammering a locked account does
not keep it locked), and the bounds of `helpline.accounts.throttle` (fixed windows;
the page can only say "at most" for those).

The page says what happened, how long it lasts, and links to the password reset of
the side the person was signing in on (desk or portal): a successful reset clears
the account's axes failures and its per-username sign-in bound (`clear_failures`),
so the person who owns the mailbox can sign in at once with the new password.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.timezone import now
from django_ratelimit.core import _split_rate

from helpline.accounts.throttle import forget_username
from helpline.lib.clientip import axes_address


def clear_failures(*usernames: str) -> None:
    """Forget the failed sign-ins of the account known by `usernames` (the portal
    signs in by e-mail address) from every address, after the owner of its
    mailbox chose a new password: django-axes' locks and the per-username bound
    of helpline.accounts.throttle both."""
    for username in {name for name in usernames if name}:
        reset(username=username)
        forget_username(username)


def _axes_left(request: HttpRequest, username: str) -> timedelta | None:
    """How long the axes lock of (username, this address) still lasts, if locked."""
    cool_off = get_cool_off(request)
    # The address axes stores a lock under (AXES_CLIENT_IP_CALLABLE): the client
    # behind a trusted proxy, an IPv6 one by its /64; not REMOTE_ADDR, which is the
    # proxy's or one address of the /64.
    address = getattr(request, "axes_ip_address", None) or axes_address(request)
    if not cool_off or not username or not address:
        return None
    last = (
        AccessAttempt.objects.filter(
            username=username,
            ip_address=address,
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if last is None:
        return None
    left = last + cool_off - now()
    return left if left > timedelta(0) else None


def _throttle_window() -> timedelta:
    """The longest window of the sign-in bounds: a throttled person waits at most
    this long."""
    rates = (
        settings.HELPLINE_LOGIN_FAILURES_PER_ADDRESS,
        settings.HELPLINE_LOGIN_FAILURES_PER_USERNAME,
    )
    return timedelta(seconds=max(_split_rate(rate)[1] for rate in rates))


def minutes(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds() / 60))


def lockout_page(request: HttpRequest, username: str = "") -> HttpResponse:
    """429, the lockout page: what happened, how long, and the way out."""
    left = _axes_left(request, username)
    desk = request.path.startswith(reverse("desk:dashboard"))
    context = {
        "exact": left is not None,
        "minutes": minutes(left or _throttle_window()),
        "reset_url": reverse("desk:password_reset" if desk else "portal:password_reset"),
        "login_url": reverse("desk:login" if desk else "portal:login"),
        "base_template": "desk/base.html" if desk else "portal/base.html",
        "section": "login",
    }
    return render(request, "lockout.html", context, status=429)


def axes_lockout(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: django-axes' own lockout answer is ours."""
    username = ""
    if isinstance(credentials, dict):
        username = str(
            credentials.get(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")) or ""
        )
    return lockout_page(request, username)
