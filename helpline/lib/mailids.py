"""Ids and tokens in our mail that say which ticket a reply belongs to, and cannot
be forged.

Every mail we send carries `<hl.{number}.{tag}.{signature}@{domain}>`. A reply's
In-Reply-To/References name it, so intake finds the ticket without trusting the
subject; the HMAC signature (keyed by SECRET_KEY) means nobody can make up an id
that files their mail into somebody else's ticket. `tag` makes each id unique
(e.g. "r42" for reply entry 42, "a7x3" for an alert). The outbox keeps each id with
the one person it was sent to, so intake also knows whose id a reply carries.

Mail to customers can also carry a reply token in its Reply-To address, where it
survives mail clients that drop In-Reply-To: `support+t.{number}.{signature}@...`
(plus addressing, `HELPLINE_REPLY_ADDRESS_TOKENS`). Its signature covers the
ticket number *and the recipient's address*, so it is one token per person and
ticket: intake accepts it only while that person is still on the ticket, and a
token mailed to one person never verifies for another.

Signatures made with a key in SECRET_KEY_FALLBACKS still verify, so rotating the
key does not cut every open conversation off.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator

from django.conf import settings

_SALT = b"helpline.mailids"
_TOKEN_SALT = b"helpline.reply-token"
_ID = re.compile(r"<?hl\.(\d{4,20})\.([A-Za-z0-9]{1,40})\.([0-9a-f]{20})@[^>\s]+>?")
# The part after "+" in a reply address: "t.", the ticket number, a signature.
_TOKEN = re.compile(r"t\.(\d{4,20})\.([0-9a-f]{20})")
TOKEN_PREFIX = "t."


def _keys() -> Iterator[bytes]:
    """SECRET_KEY first (new signatures), then the fallbacks (verifying only)."""
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        yield secret.encode() if isinstance(secret, str) else bytes(secret)


def _hmac(salt: bytes, secret: bytes, message: str) -> str:
    key = hashlib.sha256(salt + secret).digest()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:20]


def _signature(number: str, tag: str, secret: bytes | None = None) -> str:
    return _hmac(_SALT, secret or next(_keys()), f"{number}.{tag}")


def make_message_id(number: str, tag: str | None = None) -> str:
    """A new Message-ID for a mail about ticket `number`."""
    tag = tag or secrets.token_hex(6)
    if not re.fullmatch(r"[A-Za-z0-9]{1,40}", tag):
        raise ValueError("tag must be 1-40 letters or digits")
    return f"<hl.{number}.{tag}.{_signature(number, tag)}@{settings.HELPLINE_MAIL_DOMAIN}>"


def _genuine(number: str, tag: str, signature: str) -> bool:
    return any(
        hmac.compare_digest(signature, _signature(number, tag, secret)) for secret in _keys()
    )


def ticket_number_from_ids(*headers: str | None) -> str | None:
    """The ticket number named by the first genuine id of ours in these headers
    (Message-ID, In-Reply-To, References: any number of ids each), else None."""
    for header in headers:
        for number, tag, signature in _ID.findall(header or ""):
            if _genuine(number, tag, signature):
                return number
    return None


def is_our_message_id(message_id: str | None) -> bool:
    """True for a Message-ID we made: such a mail is our own, looped back."""
    return ticket_number_from_ids(message_id) is not None


# --- reply tokens (per ticket and recipient) ---------------------------------------------


def _token_signature(number: str, recipient: str, secret: bytes | None = None) -> str:
    return _hmac(_TOKEN_SALT, secret or next(_keys()), f"{number}\0{recipient.strip().lower()}")


def make_reply_token(number: str, recipient: str) -> str:
    """The token for mail to `recipient` (a bare address) about ticket `number`:
    `t.{number}.{signature}`, lower case, 24-38 characters (fits a local part)."""
    return f"{TOKEN_PREFIX}{number}.{_token_signature(number, recipient)}"


def parse_reply_token(text: str) -> tuple[str, str] | None:
    """(number, signature) of a token, e.g. the tag of `support+t.665337.ab…@x`;
    None when `text` is not shaped like one. Says nothing about whether it is
    genuine: that needs the recipient (`reply_token_matches`)."""
    match = _TOKEN.fullmatch(text.strip().lower())
    return (match.group(1), match.group(2)) if match else None


def reply_token_matches(number: str, signature: str, recipient: str) -> bool:
    """True when the token (number, signature) was made for `recipient`."""
    return any(
        hmac.compare_digest(signature, _token_signature(number, recipient, secret))
        for secret in _keys()
    )
