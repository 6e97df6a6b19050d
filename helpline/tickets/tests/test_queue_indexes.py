"""Every queue page is one indexed query that needs no sort step, on SQLite and on
PostgreSQL: the shape that keeps the first page fast at a million tickets."""

from __future__ import annotations

import pytest
from django.db import connection

from helpline.accounts.models import Agent
from helpline.conftest import World
from helpline.tests.plans import explain
from helpline.tickets.models import Ticket
from helpline.tickets.queues import QUEUES, SORTS

pytestmark = pytest.mark.django_db


def plan(agent: Agent, queue: str) -> str:
    qs = (
        Ticket.objects.visible_to(agent)
        .filter(QUEUES[queue].filter(agent))
        .order_by(*SORTS["updated"].order_by)[:26]
    )
    return explain(*qs.query.sql_with_params())


@pytest.mark.parametrize("who", ["admin", "agent"])
@pytest.mark.parametrize("queue", list(QUEUES))
def test_the_queue_page_reads_an_index_in_order(world: World, who: str, queue: str) -> None:
    world.open()
    text = plan(getattr(world, who), queue)
    if connection.vendor == "postgresql":
        assert "Index" in text, text
        assert "Sort" not in text, text
    else:
        assert "USING INDEX ticket_" in text, text
        assert "TEMP B-TREE" not in text, text
