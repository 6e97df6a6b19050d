"""Regressions found in review: lock order between opening and reopening, misses
while paused, a reopened ticket whose agent is away, and agents a rule cannot
give a ticket to."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection

from helpline.accounts.models import Agent, AssignmentMode
from helpline.automation.models import Action, Kind, Rule
from helpline.conftest import World
from helpline.sla.models import SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import auto_assignment as auto
from helpline.tickets.models import Event, EventKind, Ticket

MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def at(hour: int, day: int = 2) -> time_machine.travel:
    return time_machine.travel(datetime(2026, 3, day, hour, tzinfo=UTC), tick=False)


def short_plan(world: World) -> SLAPlan:
    plan = SLAPlan.objects.create(name="Short", first_response_hours=1, resolution_hours=8)
    world.topic.sla = plan
    world.topic.save()
    return plan


@pytest.mark.django_db(transaction=True)
def test_opening_and_reopening_in_one_department_at_once_do_not_deadlock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nobody is free, so the reopened ticket lands in the same counter row as the
    # new one; the opener is held until the reopener has its cursor. Opening once
    # took the counter row before the cursor: PostgreSQL found a deadlock here.
    world.support.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.support.save()
    Agent.objects.filter(access__department=world.support).update(is_on_vacation=True)
    old = lifecycle.close(world.open("Old one"), actor=world.admin)
    reopener_has_cursor = threading.Event()
    opener_started = threading.Event()
    real = auto.pick_agent

    def pick(**kwargs: Any) -> Agent | None:
        if threading.current_thread().name == "reopen":
            opener_started.wait(10)
            chosen = real(**kwargs)
            reopener_has_cursor.set()
            return chosen
        return real(**kwargs)

    monkeypatch.setattr(auto, "pick_agent", pick)
    results: dict[str, object] = {}

    def open_one() -> None:
        try:
            opener_started.set()
            reopener_has_cursor.wait(10)
            results["open"] = world.open("New one")
        except BaseException as exc:
            results["open"] = exc
        finally:
            connection.close()

    def reopen_one() -> None:
        try:
            results["reopen"] = lifecycle.customer_reply(
                Ticket(pk=old.pk), actor=world.customer, body_html="<p>Again</p>"
            )
        except BaseException as exc:
            results["reopen"] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=open_one, name="open"),
        threading.Thread(target=reopen_one, name="reopen"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [type(results[k]).__name__ for k in ("open", "reopen")] == ["Ticket", "Ticket"]


def test_answering_after_a_long_pause_is_not_a_miss(world: World) -> None:
    short_plan(world)
    with at(9):
        ticket = world.open()
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(12):  # 3 h later, but the clock stood still the whole time
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Hi</p>")

    assert not Ticket.objects.get(pk=ticket.pk).first_response_breached


def test_resolving_after_a_long_pause_is_not_a_miss(world: World) -> None:
    short_plan(world)
    with at(9):
        ticket = world.open()
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Hi</p>")
    with at(10):  # 1 h of 8 used, then On Hold for three days
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(10, day=5):
        ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done</p>")

    assert not Ticket.objects.get(pk=ticket.pk).resolution_breached


def test_a_reopened_ticket_whose_agent_is_away_and_nobody_free_waits_unassigned(
    world: World,
) -> None:
    world.support.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.support.save()
    ticket = lifecycle.assign(world.open(), actor=world.admin, agent=world.agent)
    ticket = lifecycle.close(ticket, actor=world.admin)
    Agent.objects.filter(access__department=world.support).update(is_on_vacation=True)

    ticket = lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>Again</p>")

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.assignee_id is None
    kinds = list(Event.objects.filter(ticket=fresh).order_by("id").values_list("kind", flat=True))
    assert kinds[-3:] == [EventKind.REOPENED, EventKind.UNASSIGNABLE, EventKind.RELEASED]


def test_an_agent_a_rule_cannot_give_the_ticket_to_is_said_in_the_timeline(
    world: World,
) -> None:
    rule = Rule.objects.create(name="To Bob")
    Action.objects.create(rule=rule, kind=Kind.ASSIGN_AGENT, agent=world.other_agent)

    ticket = world.open()  # Support; Bob works in Sales only

    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None
    said = Event.objects.get(ticket=ticket, kind=EventKind.UNASSIGNABLE)
    assert said.reason == (
        "Routing rule: Bob Sales cannot take it (inactive or no access to Support)"
    )
