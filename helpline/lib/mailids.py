"""Message-IDs that say which ticket a mail belongs to, and cannot be forged.

Every mail we send carries `<hl.{number}.{tag}.{signature}@{domain}>`. A reply's
In-Reply-To/References name it, so intake finds the ticket without trusting the
subject; the HMAC signature (keyed by SECRET_KEY) means nobody can make up an id
that files their mail into somebody else's ticket. `tag` makes each id unique
(e.g. "r42" for reply entry 42, "a7x3" for an alert).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings

_SALT = b"helpline.mailids"
_ID = re.compile(r"<?hl\.(\d{4,20})\.([A-Za-z0-9]{1,40})\.([0-9a-f]{20})@[^>\s]+>?")


def _signature(number: str, tag: str) -> str:
    key = hashlib.sha256(_SALT + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, f"{number}.{tag}".encode(), hashlib.sha256).hexdigest()[:20]


def make_message_id(number: str, tag: str | None = None) -> str:
    """A new Message-ID for a mail about ticket `number`."""
    tag = tag or secrets.token_hex(6)
    if not re.fullmatch(r"[A-Za-z0-9]{1,40}", tag):
        raise ValueError("tag must be 1-40 letters or digits")
    return f"<hl.{number}.{tag}.{_signature(number, tag)}@{settings.HELPLINE_MAIL_DOMAIN}>"


def ticket_number_from_ids(*headers: str | None) -> str | None:
    """The ticket number named by the first genuine id of ours in these headers
    (Message-ID, In-Reply-To, References: any number of ids each), else None."""
    for header in headers:
        for number, tag, signature in _ID.findall(header or ""):
            if hmac.compare_digest(signature, _signature(number, tag)):
                return number
    return None


def is_our_message_id(message_id: str | None) -> bool:
    """True for a Message-ID we made: such a mail is our own, looped back."""
    return ticket_number_from_ids(message_id) is not None
