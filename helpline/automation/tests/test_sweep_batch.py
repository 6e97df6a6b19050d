"""The sweep's batch path (lifecycle.sla_tick_many): many tickets' missed targets in
one transaction, written exactly as sla_tick writes them one by one, in a number
of statements that does not grow with the tickets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from helpline.automation.sla_sweep import RETRY_AFTER, sweep
from helpline.automation.tests.sweeping import escalations, fresh, overdue_reasons, policy, targets
from helpline.conftest import World
from helpline.sla.models import SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import sweep as batch
from helpline.tickets.models import Event, QueueCount, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(world: World) -> SLAPlan:
    return targets(world, first_response="1", resolution="8")


class Undo(Exception):
    pass


def outcome(tickets: list[Ticket]) -> dict[str, Any]:
    """What the clock wrote: each ticket's fields and events, and the counters."""
    ids = [t.pk for t in tickets]
    return {
        "tickets": list(
            Ticket.objects.filter(pk__in=ids)
            .order_by("pk")
            .values("pk", *batch.SWEPT_FIELDS, "updated_at", "version")
        ),
        "events": list(
            Event.objects.filter(ticket_id__in=ids)
            .order_by("ticket_id", "pk")
            .values_list("ticket_id", "kind", "field", "old_value", "new_value", "reason", "data")
        ),
        "counts": sorted(
            QueueCount.objects.values_list(
                "department_id", "assignee_key", "team_key", "state", "is_overdue", "count"
            )
        ),
    }


def one_by_one(tickets: list[Ticket], now: datetime) -> dict[str, Any]:
    """What sla_tick writes for each ticket in turn, rolled back afterwards."""
    try:
        with transaction.atomic():
            for ticket in tickets:
                lifecycle.sla_tick(Ticket(pk=ticket.pk), now=now)
            result = outcome(tickets)
            raise Undo
    except Undo:
        return result


def test_the_batch_writes_what_the_one_by_one_path_writes(world: World, plan: SLAPlan) -> None:
    plain = [world.open(f"Ticket {n}") for n in range(3)]
    answered = lifecycle.reply(world.open("Answered"), actor=world.agent, body_html="<p>On it.</p>")
    assigned = lifecycle.assign(world.open("Assigned"), actor=world.supervisor, agent=world.agent)
    paused = lifecycle.change_status(
        world.open("Waiting"), actor=world.agent, status=world.status("Pending Customer Reply")
    )
    tickets = [*plain, answered, assigned, paused]
    assert plain[0].due_at is not None
    for now in (plain[0].first_response_due_at, plain[0].due_at + timedelta(hours=1)):
        assert now is not None
        expected = one_by_one(tickets, now)

        left = lifecycle.sla_tick_many([t.pk for t in tickets], now=now)

        assert left == []
        assert outcome(tickets) == expected
    assert [len(overdue_reasons(t)) for t in tickets] == [2, 2, 2, 1, 2, 0]
    assert fresh(paused).sla_alarm_at is None


def test_a_ticket_with_an_escalation_level_due_is_left_to_sla_tick(
    world: World, plan: SLAPlan
) -> None:
    policy(plan, {"name": "Heads-up", "target": "resolution", "trigger": "after", "minutes": 0})
    ticket, later = world.open("Escalates"), world.open("Opened a moment later")
    now = ticket.due_at
    assert now is not None

    left = lifecycle.sla_tick_many([ticket.pk, later.pk], now=now)

    assert left == [ticket.pk]
    assert overdue_reasons(ticket) == []  # nothing written for it by the batch
    # The other's level is not due yet: the batch marked its first response missed.
    assert len(overdue_reasons(later)) == 1 and escalations(later) == []
    assert sweep(now=now) == {"looked_at": 1, "failed": 0}
    assert escalations(ticket) == ["Heads-up"]
    assert len(overdue_reasons(ticket)) == 2


def test_a_batch_that_fails_to_write_is_done_one_by_one(
    world: World, plan: SLAPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = [world.open(f"Ticket {n}") for n in range(3)]

    def broken(*args: object) -> None:
        raise RuntimeError("the database refused the batch")

    monkeypatch.setattr(batch, "_write", broken)
    assert tickets[0].first_response_due_at is not None

    assert sweep(now=tickets[-1].first_response_due_at) == {"looked_at": 3, "failed": 0}

    assert [len(overdue_reasons(t)) for t in tickets] == [1, 1, 1]


def test_tickets_that_fail_alone_too_are_retried_later_not_first_every_run(
    world: World, plan: SLAPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = [world.open(f"Ticket {n}") for n in range(3)]
    now = tickets[-1].first_response_due_at
    assert now is not None

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database refused it")

    monkeypatch.setattr(batch, "_write", broken)
    monkeypatch.setattr(lifecycle, "sla_tick", broken)
    # One of them was re-armed by a change meanwhile: its alarm stays.
    later = now + timedelta(hours=2)
    Ticket.objects.filter(pk=tickets[0].pk).update(sla_alarm_at=later)

    assert sweep(now=now) == {"looked_at": 2, "failed": 2}

    alarms = dict(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("pk", "sla_alarm_at")
    )
    assert alarms[tickets[0].pk] == later
    assert alarms[tickets[1].pk] == alarms[tickets[2].pk] == now + RETRY_AFTER
    assert sweep(now=now) == {"looked_at": 0, "failed": 0}  # not first in line again
    assert lifecycle.postpone_alarm(tickets[1].pk, rang_by=now, until=later) is False


def test_a_batchs_statements_do_not_grow_with_its_tickets(
    world: World, plan: SLAPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lifecycle's own statements: what the receivers of events_recorded do
    (queue mail, the report rollups) is theirs; the announcements are recorded."""
    announced: list[set[int]] = []
    monkeypatch.setattr(
        batch, "announce", lambda events: announced.append({e.ticket_id for e in events})
    )
    first = world.open("First")  # makes the counter of the overdue tickets' bucket
    few = [world.open(f"Few {n}") for n in range(3)]
    many = [world.open(f"Many {n}") for n in range(30)]
    assert many[-1].due_at is not None
    assert lifecycle.sla_tick_many([first.pk], now=many[-1].due_at) == []

    with CaptureQueriesContext(connection) as three:
        assert lifecycle.sla_tick_many([t.pk for t in few], now=many[-1].due_at) == []
    with CaptureQueriesContext(connection) as thirty:
        assert lifecycle.sla_tick_many([t.pk for t in many], now=many[-1].due_at) == []

    sql = [[q["sql"][:60] for q in run.captured_queries] for run in (three, thirty)]
    assert len(sql[1]) == len(sql[0]), sql
    # A batch's events announced together (receivers group them by ticket).
    assert announced == [{first.pk}, {t.pk for t in few}, {t.pk for t in many}]
