"""Mailbox passwords at rest: Fernet (AES-128-CBC with HMAC-SHA256, from
`cryptography`) under a key derived from SECRET_KEY.

Key derivation, so that anyone holding SECRET_KEY can recover the passwords with a
few lines of their own: HKDF-SHA256 with the UTF-8 bytes of SECRET_KEY as input key
material, salt b"helpline.intake.mailbox-password", info b"fernet-key-v1", 32 bytes
out, URL-safe base64 encoded: that is the Fernet key.

Decryption also tries the keys derived from SECRET_KEY_FALLBACKS, so rotating
SECRET_KEY the way Django documents keeps stored passwords readable; saving the
mailbox again encrypts it under the new key. Deployments that would rather not keep
the password in the database name an environment variable instead
(`Mailbox.password_env`).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_SALT = b"helpline.intake.mailbox-password"
_INFO = b"fernet-key-v1"


def derive_key(secret_key: str) -> bytes:
    """The Fernet key for one SECRET_KEY (see the module docstring)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8")))


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(derive_key(s)) for s in secrets])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str | None:
    """The plaintext, or None when no current or fallback key opens the token."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None
