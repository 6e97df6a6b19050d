"""Helpers of the satisfaction tests: a ticket resolved by Alice, and its answer."""

from __future__ import annotations

import pytest

from helpline.conftest import World
from helpline.notify.defaults import ensure_templates
from helpline.notify.models import MailTemplate
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, EventKind, Ticket

ANSWER = "<p>Unplug it, wait a minute, plug it in again.</p>"


def resolved(world: World, subject: str = "Printer on fire") -> tuple[Ticket, Event]:
    """Ken's ticket, resolved by Alice (an agent of Support): the ticket and its
    RESOLVED event."""
    ticket = world.open(subject)
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html=ANSWER)
    return ticket, resolution_of(ticket)


def resolution_of(ticket: Ticket) -> Event:
    return Event.objects.filter(ticket=ticket, kind=EventKind.RESOLVED).latest("id")


@pytest.fixture
def mail_templates_rows(db: None) -> None:
    """The mail template rows as a new install has them (transactional tests empty
    every table, migration data too)."""
    MailTemplate.objects.all().delete()
    ensure_templates()
