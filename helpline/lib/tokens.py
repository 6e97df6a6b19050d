"""Signed, expiring tokens for links that act without a login.

One helper for every signed link (the ticket guest link, the rating link): a value
signed with Django's `TimestampSigner` under a salt of its own, so a token made for
one purpose never verifies for another, and changing SECRET_KEY spends them all.
Verifying tells the three answers apart, because the pages do: a valid token, an
expired one (ours, but too old: "ask for a new link", 410) and a forged or mangled
one (never reported as expired: 404, as for anything that does not exist).

The format is Django's own (`value:timestamp:signature`, URL-path safe), so tokens
mailed before this module existed still verify.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing


class Check(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    FORGED = "forged"


@dataclass(frozen=True)
class Verified:
    """What a token says: `value` is the signed value when `check` is VALID, else ""."""

    check: Check
    value: str = ""

    @property
    def valid(self) -> bool:
        return self.check is Check.VALID

    @property
    def expired(self) -> bool:
        return self.check is Check.EXPIRED


def sign(value: str, *, salt: str) -> str:
    """A token carrying `value` and the current time, signed under `salt`."""
    return signing.TimestampSigner(salt=salt).sign(value)


def verify(token: str, *, salt: str, max_age: timedelta) -> Verified:
    """Check `token` against `salt`; VALID (with its value) only when at most
    `max_age` old."""
    signer = signing.TimestampSigner(salt=salt)
    try:
        return Verified(Check.VALID, signer.unsign(token, max_age=max_age))
    except signing.SignatureExpired:  # before BadSignature: it is one too
        return Verified(Check.EXPIRED)
    except signing.BadSignature:
        return Verified(Check.FORGED)
