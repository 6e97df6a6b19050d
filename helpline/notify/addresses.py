"""Which addresses are our own, so that we never mail ourselves into a loop.

An autoresponse to one of our own addresses would come back through intake as a
new message and be answered again. `is_own_address` knows the sender address
(DEFAULT_FROM_EMAIL), Django's error sender (SERVER_EMAIL) and whatever the apps
that own mailboxes register with `add_own_address_source` (intake registers its
mailbox addresses there), so notify need not import intake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from email.utils import parseaddr

from django.conf import settings

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
    return bool(address) and address in (own_addresses() if ours is None else ours)
