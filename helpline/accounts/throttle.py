"""Bounds on failed sign-ins across usernames and across addresses.

django-axes locks a (username, client address) pair after `AXES_FAILURE_LIMIT`
failures. That alone lets one address try a password against every username
(password spraying), and lets many addresses try passwords against one username,
and every try costs an Argon2 check (~200 ms of CPU). So two more counters, kept in
the shared cache by django-ratelimit, count failures:

- per client address, across all usernames (`HELPLINE_LOGIN_FAILURES_PER_ADDRESS`;
  an IPv6 client counts by its /64, as in every rate limit here),
- per username, across all addresses (`HELPLINE_LOGIN_FAILURES_PER_USERNAME`).

When either is over its rate, the sign-in is refused *before* the password is
checked, so a throttled attacker costs us a cache lookup, not a hash. A failed
two-factor code counts as a failed sign-in too. The per-username bound means that
an attacker with many addresses can keep one account locked (the price of not
letting them guess its password); the lock lifts by itself when the window ends,
or at once when the owner of the account's mailbox resets its password
(`forget_username`, called by helpline.accounts.lockout.clear_failures).

The rates are django-ratelimit rates ("30/15m": 30 per fixed 15-minute window).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django_ratelimit.core import ALL, _get_window, _make_cache_key, _split_rate, get_usage

from helpline.lib.clientip import address_key

_GROUP = "helpline.login"


def _name(username: str) -> str:
    return username.strip().lower()


def _counts(request: HttpRequest, username: str, *, increment: bool) -> list[bool]:
    name = _name(username)
    usages = [
        get_usage(
            request,
            group=f"{_GROUP}.address",
            # An IPv6 address counts by its /64 (helpline.lib.clientip, shared with
            # the API's throttles), since every IPv6 client holds a whole /64 and
            # could otherwise try 2^64 addresses.
            key=address_key,
            rate=settings.HELPLINE_LOGIN_FAILURES_PER_ADDRESS,
            increment=increment,
        ),
        get_usage(
            request,
            group=f"{_GROUP}.username",
            key=lambda group, request: name,
            rate=settings.HELPLINE_LOGIN_FAILURES_PER_USERNAME,
            increment=increment,
        ),
    ]
    # A usage reaches its limit on the failure that fills the window; the next
    # attempt is the one to refuse, hence ">=" on the count read without counting.
    return [bool(u) and u["count"] >= u["limit"] for u in usages]


def login_blocked(request: HttpRequest, username: str) -> bool:
    """True when this address or this username failed too often lately: refuse the
    sign-in without checking the password."""
    if not settings.HELPLINE_LOGIN_THROTTLE:
        return False
    return any(_counts(request, username, increment=False))


def login_failed(request: HttpRequest, username: str) -> None:
    """Count one failed sign-in (a wrong password or a wrong code)."""
    if settings.HELPLINE_LOGIN_THROTTLE:
        _counts(request, username, increment=True)


def forget_username(username: str) -> None:
    """Empty the per-username counter of `username` (its current window, the only
    one that counts): its owner just proved they read the account's mailbox."""
    name = _name(username)
    rate = settings.HELPLINE_LOGIN_FAILURES_PER_USERNAME
    if not name or not rate:
        return
    # The key django-ratelimit's get_usage counts in (fixed windows, each value's
    # window shifted by a hash of the value).
    window = _get_window(name, _split_rate(rate)[1])
    key = _make_cache_key(f"{_GROUP}.username", window, rate, name, ALL)
    caches[settings.RATELIMIT_USE_CACHE].delete(key)
