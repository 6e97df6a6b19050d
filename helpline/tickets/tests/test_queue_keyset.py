"""Keyset pages of the desk queues (helpline.tickets.keyset): every sort, for an
administrator and for an agent who sees one department, walks forwards and
backwards through a queue with ties on its key, every ticket once and in order;
a ticket that changes between two pages does not break the next; each page is a
pinned number of queries.

The plans (the shape that keeps a page as cheap at a million tickets as at ten
thousand) are in test_queue_plans.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from helpline.accounts.models import Agent
from helpline.conftest import World
from helpline.tickets.models import Priority, Ticket
from helpline.tickets.queues import SORTS, QueuePage, queue_page, select

pytestmark = pytest.mark.django_db

SIZE = 4


def many(world: World, count: int = 23) -> list[Ticket]:
    """`count` tickets with ties on every key but the number: three update times,
    two creation times, a due time on some (tied) and none on others, every
    priority; in Support, in Sales assigned to the agent or their team (which
    they see), and in Sales with neither (which they do not)."""
    first = world.open("Seed")
    now = timezone.now().replace(microsecond=0)
    priorities = list(Priority.objects.all())
    columns = {
        f.attname: getattr(first, f.attname)
        for f in Ticket._meta.concrete_fields
        if not f.primary_key
    }
    rows = []
    for n in range(count - 1):
        placed: dict[str, Any] = {"department_id": world.support.pk}
        if n % 4 == 1:
            placed = {"department_id": world.sales.pk, "assignee_id": world.agent.pk}
        elif n % 4 == 2:
            placed = {"department_id": world.sales.pk, "team_id": world.team.pk}
        elif n % 4 == 3:
            placed = {"department_id": world.sales.pk, "assignee_id": None, "team_id": None}
        rows.append(
            Ticket(
                **{
                    **columns,
                    **placed,
                    "number": f"{(n * 7919) % 1000:03d}{n:03d}",
                    "subject": f"Ticket {n}",
                    "updated_at": now - timedelta(minutes=n % 3),
                    "created_at": now - timedelta(days=n % 2),
                    "due_at": None if n % 3 == 0 else now + timedelta(hours=n % 2),
                    "priority_id": priorities[n % len(priorities)].pk,
                }
            )
        )
    Ticket.objects.bulk_create(rows)
    return list(Ticket.objects.all())


def walk(agent: Agent, queue: str, params: dict[str, str]) -> tuple[list[str], list[str]]:
    """Every ticket number of the queue, following Next from the first page, then
    following Previous back from the last page."""
    forward: list[QueuePage] = []
    cursor = ""
    while True:
        page = queue_page(agent, queue, {**params, "cursor": cursor}, page_size=SIZE)
        assert page is not None
        forward.append(page)
        assert len(forward) < 50, "the pages do not end"
        if not page.has_next:
            break
        assert page.next_cursor is not None
        cursor = page.next_cursor
    backward = [forward[-1]]
    while backward[0].has_previous:
        cursor = backward[0].previous_cursor or ""
        page = queue_page(agent, queue, {**params, "cursor": cursor}, page_size=SIZE)
        assert page is not None
        backward.insert(0, page)
        assert len(backward) < 50, "the pages do not end"
    return (
        [t.number for p in forward for t in p.tickets],
        [t.number for p in backward for t in p.tickets],
    )


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("who", ["admin", "agent"])
def test_paging_through_a_queue_shows_every_ticket_once_in_order(
    world: World, who: str, sort: str
) -> None:
    many(world)
    agent = getattr(world, who)
    for queue in ("open", "mine", "unassigned"):
        # The whole queue in one ORDER BY, as its CSV export reads it.
        selection = select(agent, queue, {"sort": sort})
        assert selection is not None
        expected = list(selection.tickets.values_list("number", flat=True))
        forward, backward = walk(agent, queue, {"sort": sort})
        assert forward == expected, (queue, sort)
        assert backward == expected, (queue, sort)
    if who == "agent":  # the tickets of Sales they may not see never show
        hidden = Ticket.objects.filter(department=world.sales, assignee=None, team=None)
        assert hidden.exists()
        assert not set(hidden.values_list("number", flat=True)) & set(forward)


@pytest.mark.parametrize("sort", list(SORTS))
def test_filters_page_the_same_way(world: World, sort: str) -> None:
    many(world)
    priority = Priority.objects.get(name="High")
    for params in (
        {"department": str(world.sales.pk)},
        {"priority": str(priority.pk)},
        {"team": str(world.team.pk)},
        {"assignee": "none"},
    ):
        for agent in (world.admin, world.agent):
            selection = select(agent, "open", {**params, "sort": sort})
            assert selection is not None
            expected = list(selection.tickets.values_list("number", flat=True))
            forward, backward = walk(agent, "open", {**params, "sort": sort})
            assert forward == expected == backward, (params, sort, agent)


def test_tickets_without_a_due_time_come_last_on_both_databases(world: World) -> None:
    tickets = many(world, 9)
    page = queue_page(world.admin, "open", {"sort": "due"}, page_size=20)
    assert page is not None
    dues = [t.due_at for t in page.tickets]
    assert len(dues) == len(tickets)
    assert None in dues and all(d is None for d in dues[dues.index(None) :])


@pytest.mark.parametrize("sort", list(SORTS))
def test_a_ticket_changing_between_pages_does_not_break_the_next(world: World, sort: str) -> None:
    many(world)
    first = queue_page(world.admin, "open", {"sort": sort}, page_size=SIZE)
    assert first is not None and first.next_cursor
    # The ticket the cursor points at changes every key; another is deleted.
    moved = first.tickets[-1]
    Ticket.objects.filter(pk=moved.pk).update(
        updated_at=timezone.now() + timedelta(days=1),
        due_at=None,
        priority=Priority.objects.order_by("urgency").first(),
    )
    Ticket.objects.filter(pk=first.tickets[0].pk).delete()
    second = queue_page(world.admin, "open", {"sort": sort, "cursor": first.next_cursor}, SIZE)
    assert second is not None and second.tickets
    assert not {t.pk for t in second.tickets} & {t.pk for t in first.tickets[:-1]}
    back = queue_page(world.admin, "open", {"sort": sort, "cursor": second.previous_cursor or ""})
    assert back is not None and back.tickets


# session-free counts: the agent's departments and teams are read once per
# request (helpline.tickets.permissions), so they are read before counting.
QUERIES = {
    # sort: (administrator, agent of one department with a team)
    "updated": (1, 2),  # one index range | ids of three ranges, then the tickets
    "created": (3, 2),  # departments, ids of a range per department, tickets | ...
    "oldest": (3, 2),
    "due": (3, 2),  # (the ranges: with a due time, and without)
    "number": (3, 2),
    "priority": (4, 3),  # the priorities first
    "number_desc": (3, 2),
    "least_updated": (1, 2),  # the state's own index, read forwards
}


@pytest.mark.parametrize("sort", list(SORTS))
def test_every_page_is_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any, sort: str
) -> None:
    many(world)
    for agent, expected in zip((world.admin, world.agent), QUERIES[sort], strict=True):
        page = queue_page(agent, "open", {"sort": sort}, page_size=SIZE)  # warms the agent
        assert page is not None and page.next_cursor
        with django_assert_num_queries(expected):
            queue_page(agent, "open", {"sort": sort, "cursor": page.next_cursor}, SIZE)
        with django_assert_num_queries(expected):
            queue_page(agent, "open", {"sort": sort}, SIZE)
    # A department or the agent's own tickets: one index range, one query (due:
    # the ids of two ranges, with and without a due time, then the tickets;
    # priority: the priorities, the ids of a range per priority, the tickets).
    single = {"due": 2, "priority": 3}.get(sort, 1)
    with django_assert_num_queries(single):
        queue_page(world.agent, "mine", {"sort": sort}, SIZE)
    with django_assert_num_queries(single):
        queue_page(world.agent, "open", {"sort": sort, "department": str(world.support.pk)})
