"""The desk's “I'm on it” in the API: read-only, on one ticket, for agents' tokens
(helpline.desk.on_it)."""

from __future__ import annotations

import pytest

from helpline.conftest import World
from helpline.desk import on_it
from helpline.tickets.models import Ticket

from .conftest import Api

pytestmark = pytest.mark.django_db


def test_an_agent_reads_who_is_on_a_ticket_and_since_when(
    world: World, agent_api: Api, ticket: Ticket
) -> None:
    assert agent_api.get(f"/tickets/{ticket.number}").json()["on_it"] is None
    marker = on_it.start(world.supervisor, ticket).marker

    held = agent_api.get(f"/tickets/{ticket.number}").json()["on_it"]

    assert held["agent"] == {"id": world.supervisor.pk, "name": "Sam Super"}
    assert held["since"].startswith(marker.since.strftime("%Y-%m-%dT%H:%M:%S"))


def test_the_api_channel_never_reads_it(world: World, channel: Api, ticket: Ticket) -> None:
    """A key without an agent (an integration, which may face customers) reads
    what a customer may, as with internal notes."""
    on_it.start(world.supervisor, ticket)
    assert channel.get(f"/tickets/{ticket.number}").json()["on_it"] is None
