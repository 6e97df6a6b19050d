"""Fixtures of the lifecycle tests, on top of the shared `world` (helpline/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket


@pytest.fixture
def ticket(world: World) -> Ticket:
    """Ken's open, unassigned ticket in Support."""
    return world.open()


@pytest.fixture
def assigned(world: World, ticket: Ticket) -> Ticket:
    """Ken's ticket, assigned to the Support agent by the supervisor."""
    return lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent)


@pytest.fixture
def resolved(world: World, assigned: Ticket) -> Ticket:
    return lifecycle.resolve(
        assigned, actor=world.agent, explanation_html="<p>Unplugged it; the fire is out.</p>"
    )


@pytest.fixture
def closed(world: World, assigned: Ticket) -> Ticket:
    return lifecycle.close(assigned, actor=world.agent, reason="Duplicate")


@pytest.fixture
def media(settings: object, tmp_path: Path) -> Path:
    """Uploaded files go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    return tmp_path
