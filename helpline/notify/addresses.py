"""Which addresses are our own, so that we never mail ourselves into a loop.

An autoresponse to one of our own addresses would come back through intake as a
new message and be answered again. `is_own_address` knows the sender address
(DEFAULT_FROM_EMAIL), Django's error sender (SERVER_EMAIL) and whatever the apps
that own mailboxes register with `add_own_address_source` (intake registers its
mailbox addresses there), so notify need not import intake.

Plus addressing: `support+anything@example.com` is delivered to `support@...` by
most mail servers, and our own reply addresses have that shape
(`reply_address`), so an address is ours when it is ours without its `+tag`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings

from helpline.lib.mailids import make_reply_token

_sources: list[Callable[[], Iterable[str]]] = []


def add_own_address_source(source: Callable[[], Iterable[str]]) -> None:
    """Register a function that returns more of our addresses (e.g. mailboxes).
    Called at startup (AppConfig.ready); the function runs on every check."""
    if source not in _sources:
        _sources.append(source)


def bare_address(value: str) -> str:
    """'Name <Ken@Example.com>' -> 'ken@example.com'; '' when there is none."""
    address = parseaddr(value or "")[1].strip().lower()
    return address if "@" in address else ""


def base_address(address: str) -> str:
    """A bare address without its plus tag: 'support+t.1@x.org' -> 'support@x.org'."""
    local, at, domain = address.rpartition("@")
    if not at or "+" not in local:
        return address
    return f"{local.partition('+')[0]}@{domain}"


def own_addresses() -> frozenset[str]:
    """Every address of ours, lower-cased."""
    found = {bare_address(settings.DEFAULT_FROM_EMAIL), bare_address(settings.SERVER_EMAIL)}
    for source in _sources:
        found.update(bare_address(a) for a in source())
    found.discard("")
    return frozenset(found)


def is_own_address(value: str, *, ours: frozenset[str] | None = None) -> bool:
    """True when `value` ('Name <addr>' or a bare address) is one of ours. Pass
    `ours` (from `own_addresses()`) to check many addresses with one lookup."""
    address = bare_address(value)
    if not address:
        return False
    ours = own_addresses() if ours is None else ours
    return address in ours or base_address(address) in ours


# Longest local part SMTP allows (RFC 5321 4.5.3.1.1).
MAX_LOCAL_PART = 64


def reply_address(from_email: str, number: str, recipient: str) -> str:
    """Our sender address with the recipient's reply token as its plus tag:
    'Helpline <support@x.org>' -> 'Helpline <support+t.665337.3fa…@x.org>'.
    "" when there is nothing to tag (no address, no recipient) or the tag would
    make the local part longer than SMTP allows."""
    name, address = parseaddr(from_email or "")
    recipient = bare_address(recipient)
    local, at, domain = address.rpartition("@")
    if not (at and local and domain and recipient):
        return ""
    tagged = f"{local.partition('+')[0]}+{make_reply_token(number, recipient)}"
    if len(tagged) > MAX_LOCAL_PART:
        return ""
    try:
        return str(Address(display_name=name, username=tagged, domain=domain))
    except (ValueError, IndexError):
        return f"{tagged}@{domain}"
