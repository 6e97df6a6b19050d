"""The API channels parse, sanitize and render before any write transaction opens.

Issue 9: the REST create (`POST /api/v1/tickets`) and the osTicket create
(`/api/tickets.json|xml`) wrapped the customer and the lifecycle call in a
`transaction.atomic()` of their own, so the body the view had just sanitized was
sanitized again by the lifecycle inside it, and the text of the new-ticket alert was
rendered from it there too: on SQLite the site's write lock is held all that time.

A spy on the real nh3 and on the bounds scan (`lib.html.measure`, what
`check_html` runs) records whether a transaction was open on this thread's
connection at each call. Transactional tests: the test itself opens none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import nh3
import pytest
from django.db import connection
from django.test import Client

from helpline.conftest import World
from helpline.lib import html as lib_html
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets.models import Entry, Ticket

from .conftest import Api, make_key, make_token
from .osticket import created, post

# Big enough that each parse is measurable; within every bound.
BODY = "<div><p>" + "Lots of <b>detail</b> about the printer. " * 2_000 + "</p></div>"


@dataclass
class ParseSpy:
    """Each call of nh3.clean (sanitize, html_to_text) and of the bounds scan:
    (which, whether a transaction was open, how much it read)."""

    calls: list[tuple[str, bool, int]] = field(default_factory=list)

    def inside(self, *names: str) -> list[tuple[str, int]]:
        return [(name, size) for name, inside, size in self.calls if inside and name in names]

    def count(self, name: str) -> int:
        return len([c for c in self.calls if c[0] == name])


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ParseSpy]:
    watched = ParseSpy()
    real_clean, real_measure = nh3.clean, lib_html.measure

    def clean(html: str, *args: Any, **kwargs: Any) -> str:
        name = "sanitize" if kwargs.get("tags") == lib_html.ALLOWED_TAGS else "to_text"
        watched.calls.append((name, connection.in_atomic_block, len(html)))
        return real_clean(html, *args, **kwargs)

    def measure(body: str) -> lib_html.Shape:
        watched.calls.append(("check_html", connection.in_atomic_block, len(body)))
        return real_measure(body)

    monkeypatch.setattr(nh3, "clean", clean)
    monkeypatch.setattr(lib_html, "measure", measure)
    # html_to_text remembers recent bodies: start each test from nothing.
    lib_html._remembered_text.cache_clear()
    yield watched


def _alerted(ticket: Ticket) -> None:
    """The new-ticket alert was rendered (with the body's text) and queued."""
    fan_out_pending()
    alerts = OutboundMessage.objects.filter(ticket=ticket, kind=MailKind.NEW_TICKET_ALERT)
    assert alerts and all("Lots of detail about the printer." in a.text for a in alerts)


@pytest.mark.django_db(transaction=True)
def test_the_rest_create_parses_only_before_any_transaction(
    world: World, client: Client, spy: ParseSpy
) -> None:
    api = Api(client, make_key())
    body = {
        "email": "ken@example.com",
        "subject": "Printer",
        "message": BODY,
        "format": "html",
        "topic_id": world.topic.pk,
    }

    response = api.post("/tickets", body)

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(number=response.json()["number"])
    _alerted(ticket)
    assert spy.count("sanitize") == 1  # once, not once in the view and again inside
    assert spy.count("check_html") == 1
    assert spy.inside("sanitize", "check_html") == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_osticket_create_parses_only_before_any_transaction(
    world: World, client: Client, spy: ParseSpy, fmt: str
) -> None:
    key = make_key(scopes=["tickets:create"], default_topic=world.topic)
    if fmt == "json":
        fields = {"email": "ken@example.com", "subject": "Printer"}
        raw = json.dumps({**fields, "message": "data:text/html," + BODY})
        response = post(client, "/api/tickets.json", raw, key, "application/json")
    else:
        escaped = BODY.replace("<", "&lt;").replace(">", "&gt;")
        raw = (
            "<ticket><email>ken@example.com</email><subject>Printer</subject>"
            f'<message type="text/html">{escaped}</message></ticket>'
        )
        response = post(client, "/api/tickets.xml", raw, key, "application/xml")

    ticket = created(response)
    assert "<b>detail</b>" in Entry.objects.get(ticket=ticket).body
    _alerted(ticket)
    assert spy.count("sanitize") == 1
    assert spy.count("check_html") == 1
    assert spy.inside("sanitize", "check_html") == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["reply", "notes", "resolve"])
def test_the_rest_changes_sanitize_once_and_before_the_transaction(
    world: World, client: Client, spy: ParseSpy, action: str
) -> None:
    ticket = world.open()
    api = Api(client, make_token(world.agent))
    spy.calls.clear()
    text = "explanation" if action == "resolve" else "body"

    response = api.post(f"/tickets/{ticket.number}/{action}", {text: BODY, "format": "html"})

    assert response.status_code == 200, response.content
    assert spy.count("sanitize") == 1
    assert spy.inside("sanitize", "check_html") == []
