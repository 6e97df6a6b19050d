"""Tickets opened at the same moment are shared out fairly.

Real threads, real transactions and a connection per thread, so the tests run
against whatever database the suite runs on (SQLite or PostgreSQL). Each thread
opens tickets through the lifecycle, which picks and assigns inside the opening's
transaction.

Opening a ticket already makes concurrent openings in one department wait for each
other on PostgreSQL (they all bump the same queue counter row), so the tests whose
tickets are opened beforehand are the ones that show `pick_agent`'s own lock at
work: there, nothing but the cursor lock stops two picks reading the same turn.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.db import transaction

from helpline.accounts.models import Agent, AssignmentMode, Department, Role
from helpline.conftest import World, make_agent
from helpline.tests.threads import race
from helpline.tickets import lifecycle
from helpline.tickets.defaults import ensure_defaults
from helpline.tickets.lifecycle.auto_assignment import pick_agent
from helpline.tickets.models import Ticket

THREADS = 8
TICKETS_EACH = 3
AT = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def _support_with_four_agents(world: World, mode: AssignmentMode) -> list[Agent]:
    ensure_defaults()  # the world fixture does too; transactional tests flush everything
    make_agent("carol.agent", Role.AGENT, world.support)
    make_agent("dave.agent", Role.AGENT, world.support)
    world.support.assignment_mode = mode
    world.support.save()
    return list(Agent.objects.filter(access__department=world.support).order_by("pk"))


def _open_tickets(world: World) -> Callable[[], list[int | None]]:
    def job() -> list[int | None]:
        picked: list[int | None] = []
        for _ in range(TICKETS_EACH):
            ticket = world.open()  # open_ticket assigns by the department's mode
            picked.append(ticket.assignee_id)
        return picked

    return job


def _pick_assign(world: World, tickets: list[Ticket]) -> Callable[[], list[int | None]]:
    def job() -> list[int | None]:
        department = Department.objects.get(pk=world.support.pk)
        admin = Agent.objects.get(pk=world.admin.pk)
        picked: list[int | None] = []
        for ticket in tickets:
            with transaction.atomic():
                agent = pick_agent(department=department, at=AT)
                if agent is not None:
                    lifecycle.assign(ticket, actor=admin, agent=agent)
            picked.append(agent.pk if agent else None)
        return picked

    return job


def _assigned(agents: list[Agent]) -> dict[str, int]:
    counts = Counter(
        Ticket.objects.filter(assignee__isnull=False).values_list("assignee_id", flat=True)
    )
    return {agent.user.username: counts[agent.pk] for agent in agents}


def _no_errors(results: list[object]) -> list[int | None]:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    return [pk for r in results for pk in r]  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_round_robin_gives_each_agent_the_same_share_of_tickets_opened_at_once(
    world: World,
) -> None:
    agents = _support_with_four_agents(world, AssignmentMode.ROUND_ROBIN)

    picked = _no_errors(race(*(_open_tickets(world) for _ in range(THREADS)), timeout=60))

    assert None not in picked
    share = THREADS * TICKETS_EACH // len(agents)
    assert _assigned(agents) == {agent.user.username: share for agent in agents}


@pytest.mark.django_db(transaction=True)
def test_least_loaded_stays_balanced_for_tickets_opened_at_once(world: World) -> None:
    agents = _support_with_four_agents(world, AssignmentMode.LEAST_LOADED)

    picked = _no_errors(race(*(_open_tickets(world) for _ in range(THREADS)), timeout=60))

    assert None not in picked
    counts = _assigned(agents)
    assert sum(counts.values()) == THREADS * TICKETS_EACH
    assert max(counts.values()) - min(counts.values()) <= 1, counts


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", [AssignmentMode.ROUND_ROBIN, AssignmentMode.LEAST_LOADED])
def test_concurrent_picks_for_waiting_tickets_take_turns_on_the_cursor_lock(
    world: World, mode: AssignmentMode
) -> None:
    agents = _support_with_four_agents(world, AssignmentMode.NONE)
    waiting = [world.open(f"Waiting {i}") for i in range(THREADS * TICKETS_EACH)]
    world.support.assignment_mode = mode
    world.support.save()
    batches = [waiting[i * TICKETS_EACH : (i + 1) * TICKETS_EACH] for i in range(THREADS)]

    picked = _no_errors(race(*(_pick_assign(world, batch) for batch in batches), timeout=60))

    assert None not in picked
    share = THREADS * TICKETS_EACH // len(agents)
    # Exact for both modes: every pick sees the assignments committed before it.
    assert _assigned(agents) == {agent.user.username: share for agent in agents}
