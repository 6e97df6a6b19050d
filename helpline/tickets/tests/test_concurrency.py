"""Two people changing one ticket, and many tickets opened at once.

The threaded tests use real transactions and a connection per thread, so they run
against whatever database the suite runs on (SQLite or PostgreSQL).
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from helpline.accounts.models import Role
from helpline.conftest import World, make_agent
from helpline.tests.threads import race
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import Conflict, NotAllowed
from helpline.tickets.lifecycle import core as lifecycle_core
from helpline.tickets.lifecycle import opening as lifecycle_opening
from helpline.tickets.lifecycle import status as lifecycle_status
from helpline.tickets.models import Event, EventKind, IssuedNumber, Priority, Status, Ticket

from .helpers import Watch, assert_counters_true, fresh, reload

# --- stale versions ---------------------------------------------------------------------

StaleChange = Callable[[World, Ticket, int], Ticket]

STALE: dict[str, StaleChange] = {
    "assign": lambda w, t, v: lifecycle.assign(
        t, actor=w.supervisor, team=w.team, expected_version=v
    ),
    "claim": lambda w, t, v: lifecycle.claim(t, actor=w.supervisor, expected_version=v),
    "release": lambda w, t, v: lifecycle.release(t, actor=w.agent, expected_version=v),
    "transfer": lambda w, t, v: lifecycle.transfer(
        t, actor=w.admin, department=w.sales, expected_version=v
    ),
    "reply_with_status": lambda w, t, v: lifecycle.reply(
        t, actor=w.agent, body_html="<p>x</p>", status=w.status("On Hold"), expected_version=v
    ),
    "status": lambda w, t, v: lifecycle.change_status(
        t, actor=w.agent, status=w.status("On Hold"), expected_version=v
    ),
    "priority": lambda w, t, v: lifecycle.change_priority(
        t, actor=w.agent, priority=Priority.objects.get(name="Low"), expected_version=v
    ),
    "edit": lambda w, t, v: lifecycle.edit(t, actor=w.agent, subject="Mine", expected_version=v),
    "resolve": lambda w, t, v: lifecycle.resolve(
        t, actor=w.agent, explanation_html="<p>x</p>", expected_version=v
    ),
    "close": lambda w, t, v: lifecycle.close(t, actor=w.agent, expected_version=v),
    "reopen": lambda w, t, v: lifecycle.reopen(t, actor=w.agent, expected_version=v),
}


def _ticket_for(world: World, change: str) -> Ticket:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    if change == "reopen":
        ticket = lifecycle.close(ticket, actor=world.agent)
    return ticket


@pytest.mark.parametrize("change", STALE)
def test_a_change_made_on_a_stale_version_is_refused_and_the_first_change_kept(
    world: World, change: str
) -> None:
    ticket = _ticket_for(world, change)
    seen = ticket.version
    first = lifecycle.change_priority(
        reload(ticket), actor=world.supervisor, priority=Priority.objects.get(name="High")
    )
    watch = Watch(ticket)

    with pytest.raises(Conflict) as info:
        STALE[change](world, ticket, seen)

    watch.assert_untouched()
    assert info.value.ticket.pk == ticket.pk
    assert info.value.ticket.version == first.version
    assert info.value.ticket.priority.name == "High"
    assert "changed by someone else" in info.value.message
    assert reload(ticket).priority.name == "High"


@pytest.mark.parametrize("change", STALE)
def test_a_change_made_on_the_current_version_goes_through(world: World, change: str) -> None:
    ticket = _ticket_for(world, change)
    watch = Watch(ticket)

    changed = STALE[change](world, ticket, ticket.version)

    watch.assert_bumped(changed)


def test_a_change_without_a_version_applies_to_the_fresh_ticket(world: World) -> None:
    # The desk passes no version for a bare reply; the lifecycle still re-reads the row
    # so nothing another person changed in between is overwritten.
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    stale_copy = Ticket.objects.get(pk=ticket.pk)
    lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))

    lifecycle.change_priority(
        stale_copy, actor=world.agent, priority=Priority.objects.get(name="High")
    )

    fresh_ticket = reload(ticket)
    assert fresh_ticket.status == world.status("On Hold")
    assert fresh_ticket.priority.name == "High"
    assert fresh_ticket.version == 4


# --- real concurrency -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_agents_changing_the_status_at_once_one_wins_and_the_other_gets_a_conflict(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    seen = ticket.version
    move_status, first = lifecycle_status.move_status, threading.Lock()

    def move_and_hold_the_row(change: lifecycle_core.Change, status: Status) -> None:
        move_status(change, status)
        if first.acquire(blocking=False):
            time.sleep(0.3)  # the other change arrives while this one holds the ticket

    # change_status looks move_status up in its own module.
    monkeypatch.setattr(lifecycle_status, "move_status", move_and_hold_the_row)
    agent, supervisor = fresh(world.agent), fresh(world.supervisor)
    on_hold, in_progress = world.status("On Hold"), world.status("In Progress")

    results = race(
        lambda: lifecycle.change_status(
            Ticket.objects.get(pk=ticket.pk), actor=agent, status=on_hold, expected_version=seen
        ),
        lambda: lifecycle.change_status(
            Ticket.objects.get(pk=ticket.pk),
            actor=supervisor,
            status=in_progress,
            expected_version=seen,
        ),
    )

    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert (len(winners), len(losers)) == (1, 1), results
    [winner], [loser] = winners, losers
    final = reload(ticket)
    assert final.version == seen + 1
    assert final.status_id == winner.status_id
    assert loser.ticket.version == seen + 1
    assert loser.ticket.status_id == winner.status_id
    assert Event.objects.filter(ticket=ticket, kind=EventKind.STATUS).count() == 1


def _open_many(world: World, count: int) -> Callable[[], list[str]]:
    customer, topic = world.customer, world.topic

    def job() -> list[str]:
        return [
            lifecycle.open_ticket(
                lifecycle.NewTicket(
                    customer=customer, subject=f"Ticket {i}", body_html="<p>Help</p>", topic=topic
                ),
                actor=customer,
            ).number
            for i in range(count)
        ]

    return job


@pytest.mark.django_db(transaction=True)
def test_tickets_opened_at_the_same_time_get_unique_six_digit_numbers(world: World) -> None:
    results = race(*(_open_many(world, 5) for _ in range(6)))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    numbers = [n for r in results for n in r]  # type: ignore[attr-defined]
    assert len(numbers) == 30
    assert len(set(numbers)) == 30
    assert all(re.fullmatch(r"\d{6}", n) for n in numbers)
    assert set(Ticket.objects.values_list("number", flat=True)) == set(numbers)
    assert set(IssuedNumber.objects.values_list("number", flat=True)) == set(numbers)
    assert_counters_true()


@pytest.mark.django_db(transaction=True)
def test_tickets_opened_at_the_same_time_from_a_crowded_range_never_share_a_number(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forty numbers for thirty tickets: draws collide all the time.
    draw = random.Random(4)
    monkeypatch.setattr(
        lifecycle_opening,
        "secrets",
        SimpleNamespace(randbelow=lambda bound: draw.randrange(40) if bound == 10**6 else 0),
    )

    results = race(*(_open_many(world, 5) for _ in range(6)))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    numbers = [n for r in results for n in r]  # type: ignore[attr-defined]
    assert len(set(numbers)) == len(numbers) == 30
    assert IssuedNumber.objects.count() == 30


@pytest.mark.django_db(transaction=True)
def test_two_tickets_crossing_between_the_same_queue_counters_at_once_both_go_through(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One ticket is claimed (unassigned -> Alice) while another is released (Alice ->
    # unassigned): each change takes one counter row and then needs the other's.
    waiting = lifecycle.open_ticket(
        lifecycle.NewTicket(
            customer=world.customer, subject="Waiting", body_html="<p>x</p>", topic=world.topic
        ),
        actor=world.customer,
    )
    held = lifecycle.claim(world.open(), actor=world.agent)
    first_row_taken = threading.Barrier(2)
    add_to_count = lifecycle_core.add_to_count

    def add_and_wait_for_the_other(bucket: tuple[int, int, int, str, bool], delta: int) -> None:
        add_to_count(bucket, delta)
        if delta < 0:
            # Broken when the database made the other change wait for this one.
            with contextlib.suppress(threading.BrokenBarrierError):
                first_row_taken.wait(timeout=2)

    # Change.save looks add_to_count up in the core module.
    monkeypatch.setattr(lifecycle_core, "add_to_count", add_and_wait_for_the_other)
    claimer, releaser = fresh(world.agent), fresh(world.agent)

    results = race(
        lambda: lifecycle.claim(Ticket.objects.get(pk=waiting.pk), actor=claimer),
        lambda: lifecycle.release(Ticket.objects.get(pk=held.pk), actor=releaser),
    )

    assert all(isinstance(r, Ticket) for r in results), results
    assert reload(waiting).assignee_id == world.agent.pk
    assert reload(held).assignee_id is None
    assert_counters_true()


def hold_the_first_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first change to be saved keeps its transaction (and the ticket's row lock)
    open a moment, so the other one arrives while it is still running."""
    save, first = lifecycle_core.Change.save, threading.Lock()

    def save_and_hold(change: lifecycle_core.Change) -> Ticket:
        ticket = save(change)
        if first.acquire(blocking=False):
            time.sleep(0.3)
        return ticket

    monkeypatch.setattr(lifecycle_core.Change, "save", save_and_hold)


@pytest.mark.django_db(transaction=True)
def test_two_agents_claiming_the_same_ticket_at_once_leave_it_with_one_of_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    colleague = make_agent("carl.colleague", Role.AGENT, world.support)
    ticket = world.open()
    hold_the_first_change(monkeypatch)
    agent = fresh(world.agent)

    results = race(
        lambda: lifecycle.claim(Ticket.objects.get(pk=ticket.pk), actor=agent),
        lambda: lifecycle.claim(Ticket.objects.get(pk=ticket.pk), actor=colleague),
    )

    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, NotAllowed)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert reload(ticket).assignee_id == winners[0].assignee_id
    assert Event.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count() == 1
    assert_counters_true()


@pytest.mark.django_db(transaction=True)
def test_a_reassignment_racing_another_records_who_had_the_ticket_before(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = world.open()
    hold_the_first_change(monkeypatch)
    supervisor, admin = fresh(world.supervisor), fresh(world.admin)

    results = race(
        lambda: lifecycle.claim(Ticket.objects.get(pk=ticket.pk), actor=supervisor),
        lambda: lifecycle.claim(Ticket.objects.get(pk=ticket.pk), actor=admin),
    )

    assert all(isinstance(r, Ticket) for r in results), results
    first, second = Event.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).order_by("pk")
    assert first.old_value == ""
    assert second.old_value == first.new_value
    assert second.data["old"] == first.data["new"]
    assert reload(ticket).assignee_id == second.data["new"]
    assert_counters_true()
