"""The SLA sweep (helpline.automation.sla_sweep): missed targets are marked overdue once, with
their alerts, and one broken ticket never stops the rest."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.accounts.models import Agent, Role
from helpline.automation.sla_sweep import sweep
from helpline.automation.tasks import sweep_sla
from helpline.automation.tests.sweeping import alerted, events, fresh, overdue_reasons, targets
from helpline.conftest import World, make_agent
from helpline.notify.models import MailKind
from helpline.sla.models import SLAPlan, Target
from helpline.tests.plans import explain
from helpline.tickets import lifecycle
from helpline.tickets.models import EventKind, Ticket

pytestmark = pytest.mark.django_db

ADA, SAM, ALICE, CARL = (
    "ada.admin@example.com",
    "sam.super@example.com",
    "alice.agent@example.com",
    "carl.night@example.com",
)
SECOND = timedelta(seconds=1)


@pytest.fixture
def plan(world: World) -> SLAPlan:
    """First response due after 1 hour, resolution after 8, no grace."""
    return targets(world, first_response="1", resolution="8")


def first_due(ticket: Ticket) -> datetime:
    assert ticket.first_response_due_at is not None
    return ticket.first_response_due_at


def resolution_due(ticket: Ticket) -> datetime:
    assert ticket.due_at is not None
    return ticket.due_at


def missed(target: Target, due: datetime) -> str:
    return f"{target.label} target missed (due {due:%Y-%m-%d %H:%M} UTC)"


# --- marking missed targets ---------------------------------------------------------


def test_the_sweep_marks_the_first_response_miss_then_the_resolution_miss(
    world: World, plan: SLAPlan
) -> None:
    ticket = world.open()
    first, resolution = first_due(ticket), resolution_due(ticket)

    assert sweep(now=first - SECOND) == {"looked_at": 0, "failed": 0}
    assert sweep(now=first) == {"looked_at": 1, "failed": 0}

    assert overdue_reasons(ticket) == [missed(Target.FIRST_RESPONSE, first)]
    marked = fresh(ticket)
    assert (marked.is_overdue, marked.first_response_breached, marked.resolution_breached) == (
        True,
        True,
        False,
    )
    assert marked.sla_alarm_at == resolution  # the next thing to look at

    sweep(now=resolution)

    assert overdue_reasons(ticket) == [
        missed(Target.FIRST_RESPONSE, first),
        missed(Target.RESOLUTION, resolution),
    ]
    assert [e.data["target"] for e in events(ticket, EventKind.OVERDUE)] == [
        "first_response",
        "resolution",
    ]
    done = fresh(ticket)
    assert done.resolution_breached and done.sla_alarm_at is None


def test_sweeping_again_marks_nothing_twice(world: World, plan: SLAPlan) -> None:
    ticket = world.open()
    late = resolution_due(ticket) + timedelta(hours=1)
    sweep(now=late)
    version = fresh(ticket).version

    assert sweep(now=late) == {"looked_at": 0, "failed": 0}
    lifecycle.sla_tick(ticket, now=late + timedelta(days=1))  # even when asked directly

    assert len(overdue_reasons(ticket)) == 2
    assert fresh(ticket).version == version
    assert len(alerted(ticket, MailKind.OVERDUE_ALERT)) == 4  # two alerts per miss


def test_the_periodic_task_sweeps_at_the_current_time(world: World, plan: SLAPlan) -> None:
    ticket = world.open()

    with time_machine.travel(first_due(ticket) + timedelta(minutes=5), tick=False):
        assert sweep_sla.call() == {"looked_at": 1, "failed": 0}

    assert overdue_reasons(ticket) == [missed(Target.FIRST_RESPONSE, first_due(ticket))]


def test_the_sweep_takes_the_soonest_alarm_first(world: World, plan: SLAPlan) -> None:
    later = world.open("Later")
    sooner = world.open("Sooner")
    Ticket.objects.filter(pk=sooner.pk).update(sla_alarm_at=first_due(later) - timedelta(minutes=9))

    assert lifecycle.due_for_sweep(resolution_due(later)) == [sooner.pk, later.pk]
    assert lifecycle.due_for_sweep(resolution_due(later), limit=1) == [sooner.pk]


# --- who hears about it ---------------------------------------------------------------


@pytest.fixture
def carl(world: World) -> Agent:
    """A third Support agent, not in the Level II team."""
    return make_agent("carl.night", Role.AGENT, world.support)


@pytest.mark.parametrize(
    ("holder", "manager", "expected"),
    [
        ("assignee", "admin", [ADA, ALICE]),
        ("team", "admin", [ADA, ALICE, SAM]),
        ("nobody", "admin", [ADA, ALICE, CARL, SAM]),
        ("assignee", "agent", [ALICE]),  # the manager is the assignee: one mail
        ("nobody", "supervisor", [ALICE, CARL, SAM]),  # the manager is one of the agents
    ],
)
def test_an_overdue_alert_goes_to_those_responsible_and_the_manager_once_each(
    world: World, plan: SLAPlan, carl: Agent, holder: str, manager: str, expected: list[str]
) -> None:
    world.support.manager = getattr(world, manager)
    world.support.save()
    ticket = world.open()
    if holder == "assignee":
        ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent)
    elif holder == "team":
        ticket = lifecycle.assign(ticket, actor=world.supervisor, team=world.team)

    sweep(now=first_due(ticket))

    assert alerted(ticket, MailKind.OVERDUE_ALERT) == expected
    sweep(now=first_due(ticket) + timedelta(minutes=30))
    assert alerted(ticket, MailKind.OVERDUE_ALERT) == expected  # nothing new was missed


def test_an_assignee_on_vacation_is_stood_in_for_by_the_department(
    world: World, plan: SLAPlan, carl: Agent
) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    Agent.objects.filter(pk=world.agent.pk).update(is_on_vacation=True)

    sweep(now=first_due(ticket))

    assert alerted(ticket, MailKind.OVERDUE_ALERT) == [CARL, SAM]


# --- tickets the clock leaves alone ------------------------------------------------------


def test_a_ticket_pending_the_customers_reply_does_not_go_overdue_while_paused(
    world: World, plan: SLAPlan
) -> None:
    ticket = world.open()
    first, resolution = first_due(ticket), resolution_due(ticket)
    pending = world.status("Pending Customer Reply")
    lifecycle.change_status(ticket, actor=world.agent, status=pending)
    assert fresh(ticket).sla_alarm_at is None

    assert sweep(now=resolution + timedelta(hours=1)) == {"looked_at": 0, "failed": 0}
    lifecycle.sla_tick(ticket, now=resolution + timedelta(hours=1))
    assert overdue_reasons(ticket) == []

    # Two hours later the customer answers: the targets move out by the pause.
    with time_machine.travel(ticket.created_at + timedelta(hours=2), tick=False):
        lifecycle.change_status(ticket, actor=world.agent, status=world.status("In Progress"))
    resumed = fresh(ticket)
    assert first_due(resumed) == first + timedelta(hours=2)
    assert resumed.sla_alarm_at == first + timedelta(hours=2)
    sweep(now=first + timedelta(hours=1))
    assert overdue_reasons(ticket) == []


@pytest.mark.parametrize("end", ["resolve", "close"])
def test_a_resolved_or_closed_ticket_is_skipped_and_its_alarm_cleared(
    world: World, plan: SLAPlan, end: str
) -> None:
    ticket = world.open()
    late = resolution_due(ticket) + timedelta(hours=1)
    if end == "resolve":
        lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Fixed.</p>")
    else:
        lifecycle.close(ticket, actor=world.agent)
    assert fresh(ticket).sla_alarm_at is None
    # An alarm left behind (say, by an import) is never acted on, and cleared.
    Ticket.objects.filter(pk=ticket.pk).update(sla_alarm_at=first_due(ticket))

    assert sweep(now=late) == {"looked_at": 0, "failed": 0}
    lifecycle.sla_tick(ticket, now=late)

    assert overdue_reasons(ticket) == []
    assert fresh(ticket).sla_alarm_at is None
    assert not fresh(ticket).is_overdue


def test_a_first_response_in_time_leaves_only_the_resolution_target(
    world: World, plan: SLAPlan
) -> None:
    ticket = world.open()
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>On it.</p>")

    sweep(now=resolution_due(ticket))

    assert overdue_reasons(ticket) == [missed(Target.RESOLUTION, resolution_due(ticket))]


# --- robustness and cost -----------------------------------------------------------------


def test_the_sweep_goes_on_past_a_ticket_that_fails_and_counts_it(
    world: World, plan: SLAPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    import helpline.tickets.lifecycle.escalation as escalation

    first, broken, last = (world.open(f"Ticket {n}") for n in range(3))
    real = escalation.mark_missed

    def failing_for_one(change: Any) -> None:
        # In the batch path and then in the one-by-one path it falls back to.
        if change.ticket.pk == broken.pk:
            raise RuntimeError("a broken row")
        real(change)

    monkeypatch.setattr(escalation, "mark_missed", failing_for_one)
    moment = first_due(last)

    assert sweep(now=moment) == {"looked_at": 3, "failed": 1}
    assert [len(overdue_reasons(t)) for t in (first, broken, last)] == [1, 0, 1]
    # Still due, retried a little later, so it cannot stand first in line forever.
    assert fresh(broken).sla_alarm_at == moment + timedelta(minutes=5)

    monkeypatch.undo()
    assert sweep(now=moment) == {"looked_at": 0, "failed": 0}
    assert sweep(now=moment + timedelta(minutes=5)) == {"looked_at": 1, "failed": 0}
    assert len(overdue_reasons(broken)) == 1


def test_a_ticket_failing_inside_its_transaction_leaves_nothing_half_written(
    world: World, plan: SLAPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    import helpline.tickets.lifecycle.escalation as escalation

    ticket = world.open()
    version = fresh(ticket).version

    def broken_rearm(change: object) -> None:
        raise RuntimeError("after the overdue event was recorded")

    monkeypatch.setattr(escalation, "rearm_alarm", broken_rearm)

    assert sweep(now=first_due(ticket)) == {"looked_at": 1, "failed": 1}
    assert overdue_reasons(ticket) == []
    assert (fresh(ticket).version, fresh(ticket).is_overdue) == (version, False)


def test_finding_the_tickets_to_sweep_reads_the_alarm_index_in_order(
    world: World, plan: SLAPlan
) -> None:
    ticket = world.open()
    with CaptureQueriesContext(connection) as queries:
        assert lifecycle.due_for_sweep(resolution_due(ticket)) == [ticket.pk]
    [query] = queries.captured_queries
    sql, params = (
        Ticket.objects.filter(state="open", sla_alarm_at__lte=resolution_due(ticket))
        .order_by("sla_alarm_at")
        .values_list("pk", flat=True)[:500]
        .query.sql_with_params()
    )
    assert "sla_alarm_at" in query["sql"] and "ORDER BY" in query["sql"]

    text = explain(sql, params)

    assert "ticket_state_alarm" in text, text
    if connection.vendor == "postgresql":
        assert "Sort" not in text, text
    else:
        assert "TEMP B-TREE" not in text, text


def overdue_tickets(world: World, count: int) -> list[Ticket]:
    return [
        lifecycle.assign(world.open(f"Ticket {n}"), actor=world.supervisor, agent=world.agent)
        for n in range(count)
    ]


PER_TICKET = 25  # both targets missed, alerts to assignee and manager (21 measured)


def test_the_sweeps_queries_grow_by_a_bounded_number_per_ticket(
    world: World, plan: SLAPlan, django_assert_max_num_queries: Any
) -> None:
    world.support.manager = world.admin
    world.support.save()
    [alone] = overdue_tickets(world, 1)
    with CaptureQueriesContext(connection) as one:
        assert sweep(now=resolution_due(alone)) == {"looked_at": 1, "failed": 0}
    many = overdue_tickets(world, 6)

    with django_assert_max_num_queries(len(one.captured_queries) + 5 * PER_TICKET):
        assert sweep(now=resolution_due(many[-1])) == {"looked_at": 6, "failed": 0}

    assert len(one.captured_queries) <= PER_TICKET + 10  # plus finding them
    assert all(len(overdue_reasons(t)) == 2 for t in many)
