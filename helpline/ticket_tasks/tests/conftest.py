"""Fixtures of the task tests, on the shared `world` (helpline/conftest.py)."""

from __future__ import annotations

import pytest

from helpline.conftest import World
from helpline.ticket_tasks import lifecycle as tasks
from helpline.ticket_tasks.models import Task
from helpline.tickets.models import Ticket


@pytest.fixture
def ticket(world: World) -> Ticket:
    """Ken's open, unassigned ticket in Support (help topic Printers)."""
    return world.open("New laptop for Nina")


@pytest.fixture
def task(world: World, ticket: Ticket) -> Task:
    """An open task on `ticket`, added by Alice and given to her."""
    return tasks.add_task(ticket, actor=world.agent, title="Order laptop", agent=world.agent)
