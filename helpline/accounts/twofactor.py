"""Two-factor sign-in for agents: a code from an authenticator app (TOTP), or one
of ten one-time recovery codes.

The devices are django-otp's: a `TOTPDevice` (the app's secret) and a
`StaticDevice` holding the recovery codes as `StaticToken`s, each deleted when it
is used. django-otp checks a code inside a transaction that locks the device row
(`verify_token`), so two requests racing with the same recovery code cannot both
win, and it slows down guessing per device (each failure doubles the wait before
the next try is even checked); `helpline.accounts.throttle` bounds failures per
address and per username on top.

Enrolment: `start_enrolment` makes an unconfirmed TOTP device (a new secret, shown
as a QR code); `confirm_enrolment` confirms it with a first code from the app,
replaces any earlier app, and returns a fresh set of recovery codes, shown once.
`User.otp_enrolled` mirrors "has a confirmed TOTP device" (signals below keep it
true even when an administrator deletes a device in the admin), so that
`TwoFactorMiddleware` knows without a query who must give a second factor:

- an enrolled user reaches the desk and the admin only with a session verified by
  a code (`request.user.is_verified()`); an unverified one is signed out and sent
  to the desk's sign-in, which asks for the code;
- with `HELPLINE_REQUIRE_2FA`, an administrator (a staff user) who is not enrolled
  is sent to the enrolment page from every desk and admin page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpline.accounts.models import User

RECOVERY_CODES = 10
APP_NAME = "Authenticator app"
CODES_NAME = "Recovery codes"
# Longest thing worth checking: a recovery code with spaces or dashes in it.
MAX_CODE_LENGTH = 32
_TOTP = re.compile(r"\d{6}")
_RECOVERY = re.compile(r"[a-z2-7]{8}")  # StaticToken.random_token()


def is_administrator(user: Any) -> bool:
    """Staff users: administrators (Agent.save keeps is_staff in step with the role)."""
    return bool(user.is_staff or user.is_superuser)


def is_required(user: Any) -> bool:
    return settings.HELPLINE_REQUIRE_2FA and is_administrator(user)


def app_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def pending_device(user: User) -> TOTPDevice | None:
    """The app being set up: made by `start_enrolment`, not yet confirmed."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def start_enrolment(user: User) -> TOTPDevice:
    """A new secret for an app, unconfirmed until a code from the app proves it was
    set up (an earlier unconfirmed one is dropped)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)


def qr_code(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an SVG QR code in a data: URL (no PIL, no
    inline markup, so it passes a strict Content-Security-Policy)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _clean(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()[:MAX_CODE_LENGTH]


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Confirm the pending app with a code from it: it replaces any earlier app, and
    a new set of recovery codes is made. Returns the codes, or None when the code
    is wrong (or nothing is pending)."""
    device = pending_device(user)
    code = _clean(code)
    if device is None or not _TOTP.fullmatch(code):
        return None
    if verify_token(user, device.persistent_id, code) is None:
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        _sync(user)
        return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with `RECOVERY_CODES` new ones.

    The codes are replaced, not the device that holds them: a session signed in with
    a recovery code is verified by that device (django-otp keeps its id in the
    session), and deleting it would sign the agent out at the very moment they
    follow our advice to make new codes."""
    with transaction.atomic():
        device = (
            StaticDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            device = StaticDevice.objects.create(user=user, name=CODES_NAME, confirmed=True)
        StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        StaticToken.objects.filter(device=device).delete()
        codes: list[str] = []
        while len(codes) < RECOVERY_CODES:
            token = StaticToken.random_token()
            if token not in codes:
                codes.append(token)
        StaticToken.objects.bulk_create([StaticToken(device=device, token=t) for t in codes])
    return codes


def verify(user: User, code: str) -> Device | None:
    """The device that accepts `code` (six digits: the app; else a recovery code,
    which is used up), or None."""
    code = _clean(code)
    if not code:
        return None
    model: type[Device] = TOTPDevice if _TOTP.fullmatch(code) else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        verified: Device | None = verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


@dataclass(frozen=True)
class Pause:
    """How long django-otp makes a code wait, and why."""

    seconds: int  # before it checks a code again (0: it will now)
    failures: int  # the wrong codes in a row that made it wait


def pause_before_next_try(user: User, code: str) -> Pause:
    """The pause before django-otp will check `code` against any device that
    could accept it (each failure doubles it: 1 s, 2 s, 4 s, ...). While every
    such device waits, even the right code is refused, so the page must say
    "wait", not "wrong code"."""
    code = _clean(code)
    model: type[Device] = TOTPDevice if _TOTP.fullmatch(code) else StaticDevice
    pauses: list[tuple[float, int]] = []
    moment = timezone.now()
    for device in model.objects.filter(user=user, confirmed=True):
        allowed, why = device.verify_is_allowed()
        if allowed:
            return Pause(0, 0)
        why = why or {}
        until = why.get("locked_until")
        pauses.append(
            ((until - moment).total_seconds() if until else 1, why.get("failure_count", 1))
        )
    if not pauses:
        return Pause(0, 0)
    seconds, failures = min(pauses)
    return Pause(max(1, math.ceil(seconds)), failures)


def wait_before_next_try(user: User, code: str) -> int:
    """Seconds before django-otp will check `code` (`pause_before_next_try`)."""
    return pause_before_next_try(user, code).seconds


def is_app_code(code: str) -> bool:
    return bool(_TOTP.fullmatch(_clean(code)))


def is_recovery_code(code: str) -> bool:
    """Shaped like our recovery codes (django-otp's: eight base32 characters)."""
    return bool(_RECOVERY.fullmatch(_clean(code)))


def proves_identity(user: User, proof: str) -> bool:
    """A current code from the user's app, or their password: asked before
    something that a borrowed, unlocked screen must not do (new recovery codes).
    A recovery code is not enough (they are what is being replaced)."""
    if _TOTP.fullmatch(_clean(proof)):
        device = app_device(user)
        if device is not None and verify_token(user, device.persistent_id, _clean(proof)):
            return True
    return bool(proof) and user.check_password(proof)


def disable(user: User) -> None:
    """Turn two-factor sign-in off: remove the app and the recovery codes."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        _sync(user)


def _sync(user: User | int) -> None:
    user_id = user if isinstance(user, int) else user.pk
    enrolled = TOTPDevice.objects.filter(user_id=user_id, confirmed=True).exists()
    User.objects.filter(pk=user_id).exclude(otp_enrolled=enrolled).update(otp_enrolled=enrolled)
    if isinstance(user, User):
        user.otp_enrolled = enrolled


@receiver(post_save, sender=TOTPDevice)
@receiver(post_delete, sender=TOTPDevice)
def _device_changed(sender: object, instance: TOTPDevice, **kwargs: Any) -> None:
    """Keep `User.otp_enrolled` true to the devices, also when they change in the
    admin (an administrator deleting the app of an agent who lost their phone)."""
    _sync(instance.user_id)


# --- the gate ---------------------------------------------------------------------


def _guarded_prefixes() -> tuple[str, ...]:
    return (reverse("desk:dashboard"), reverse("admin:index"))


def _exempt_paths() -> tuple[str, ...]:
    """What an administrator who must enrol may still open: enrolment and sign-out."""
    return (reverse("desk:two_factor"), reverse("desk:logout"))


class TwoFactorMiddleware:
    """Guards the desk and the admin (see the module doc). After OTPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._refuse(request)
        return refused if refused is not None else self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        # The path first: elsewhere (the portal, the API) the session is not even read.
        if not request.path.startswith(_guarded_prefixes()):
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        if user.otp_enrolled and not user.is_verified():  # type: ignore[attr-defined]
            # Signed in some other way than with the code: not good enough here.
            logout(request)
            return redirect_to_login(request.get_full_path(), reverse("desk:login"))
        if (
            is_required(user)
            and not user.otp_enrolled
            and not request.path.startswith(_exempt_paths())
        ):
            return redirect("desk:two_factor")
        return None
