"""Status changes, resolving, closing, reopening, and the clock marking tickets overdue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from helpline.conftest import World
from helpline.sla.models import SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import NotAllowed, Refused
from helpline.tickets.models import EntryKind, EventKind, Priority, State, Status, Ticket

from .helpers import Watch, assert_counters_true, due, event, last_event, refused, reload

# --- change_status ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["In Progress", "Pending Customer Reply", "On Hold"])
def test_an_agent_moves_an_open_ticket_to_another_open_status(
    world: World, assigned: Ticket, name: str
) -> None:
    watch = Watch(assigned)

    ticket = lifecycle.change_status(
        assigned, actor=world.agent, status=world.status(name), reason="Waiting on parts"
    )

    fresh = reload(ticket)
    assert fresh.status == world.status(name)
    assert fresh.state == State.OPEN
    assert watch.events() == [
        event(
            EventKind.STATUS,
            world.agent,
            field="status",
            old="Open",
            new=name,
            reason="Waiting on parts",
        )
    ]
    watch.assert_bumped(ticket)
    assert last_event(ticket).data == {"old": world.status("Open").pk, "new": fresh.status_id}


def test_an_open_status_added_by_an_administrator_can_be_used(world: World, ticket: Ticket) -> None:
    custom = Status.objects.create(name="Waiting on Vendor", state=State.OPEN)

    ticket = lifecycle.change_status(ticket, actor=world.agent, status=custom)

    assert reload(ticket).status == custom


def test_a_ticket_moves_back_to_open_from_another_open_status(
    world: World, assigned: Ticket
) -> None:
    ticket = lifecycle.change_status(assigned, actor=world.agent, status=world.status("On Hold"))
    watch = Watch(ticket)

    ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))

    assert watch.events() == [
        event(EventKind.STATUS, world.agent, field="status", old="On Hold", new="Open")
    ]


@pytest.mark.parametrize("name", ["Resolved", "Closed"])
def test_changing_the_status_to_resolved_or_closed_is_refused_pointing_to_resolve_and_close(
    world: World, assigned: Ticket, name: str
) -> None:
    with refused(assigned, Refused, match=f"Use Resolve or Close to move a ticket to “{name}”"):
        lifecycle.change_status(assigned, actor=world.agent, status=world.status(name))


def test_changing_to_the_current_status_is_refused(world: World, assigned: Ticket) -> None:
    with refused(assigned, Refused, match="already “Open”"):
        lifecycle.change_status(assigned, actor=world.agent, status=world.status("Open"))


@pytest.mark.parametrize("fixture", ["resolved", "closed"])
def test_the_status_of_a_resolved_or_closed_ticket_cannot_be_changed(
    world: World, request: pytest.FixtureRequest, fixture: str
) -> None:
    ticket: Ticket = request.getfixturevalue(fixture)

    with refused(ticket, Refused, match="reopen it first"):
        lifecycle.change_status(ticket, actor=world.agent, status=world.status("In Progress"))


# --- resolve ----------------------------------------------------------------------------


def test_an_agent_resolves_an_open_ticket_with_an_explanation(
    world: World, assigned: Ticket
) -> None:
    assigned = lifecycle.change_status(
        assigned, actor=world.agent, status=world.status("In Progress")
    )
    watch = Watch(assigned)

    ticket = lifecycle.resolve(
        assigned, actor=world.agent, explanation_html="<p>Replaced the fuser.</p>"
    )

    fresh = reload(ticket)
    assert fresh.status == world.status("Resolved")
    assert fresh.state == State.CLOSED
    [entry] = watch.new_entries()
    assert entry.kind == EntryKind.REPLY
    assert entry.is_public
    assert entry.is_resolution
    assert entry.agent == world.agent
    assert entry.body == "<p>Replaced the fuser.</p>"
    assert fresh.resolved_at == entry.created_at
    assert fresh.last_response_at == entry.created_at
    assert fresh.closed_at is None
    assert watch.events() == [
        event(EventKind.RESOLVED, world.agent, field="status", old="In Progress", new="Resolved")
    ]
    watch.assert_bumped(ticket)
    assert_counters_true()


@pytest.mark.parametrize("explanation", ["", "  ", "<p></p>", "<script>x()</script>"])
def test_resolving_needs_an_explanation(world: World, assigned: Ticket, explanation: str) -> None:
    with refused(assigned, Refused, match="Explain the resolution"):
        lifecycle.resolve(assigned, actor=world.agent, explanation_html=explanation)


@pytest.mark.parametrize("fixture", ["resolved", "closed"])
def test_only_open_tickets_can_be_resolved(
    world: World, request: pytest.FixtureRequest, fixture: str
) -> None:
    ticket: Ticket = request.getfixturevalue(fixture)

    with refused(ticket, Refused, match="Only open tickets"):
        lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done</p>")


def test_resolving_an_overdue_ticket_clears_the_overdue_flag(
    world: World, assigned: Ticket
) -> None:
    assigned = lifecycle.sla_tick(assigned, now=due(assigned))

    ticket = lifecycle.resolve(assigned, actor=world.agent, explanation_html="<p>Done</p>")

    assert not reload(ticket).is_overdue
    assert_counters_true()


# --- close ------------------------------------------------------------------------------


def test_an_agent_closes_an_open_ticket(world: World, assigned: Ticket) -> None:
    watch = Watch(assigned)

    ticket = lifecycle.close(assigned, actor=world.agent, reason="Spam")

    fresh = reload(ticket)
    assert fresh.status == world.status("Closed")
    assert fresh.state == State.CLOSED
    assert fresh.closed_at is not None
    assert fresh.resolved_at is None
    assert watch.events() == [
        event(
            EventKind.CLOSED, world.agent, field="status", old="Open", new="Closed", reason="Spam"
        )
    ]
    assert watch.new_entries() == []
    watch.assert_bumped(ticket)
    assert_counters_true()


def test_a_resolved_ticket_can_be_closed(world: World, resolved: Ticket) -> None:
    resolved_at = reload(resolved).resolved_at
    watch = Watch(resolved)

    ticket = lifecycle.close(resolved, actor=world.supervisor)

    fresh = reload(ticket)
    assert fresh.status == world.status("Closed")
    assert fresh.closed_at is not None
    assert fresh.resolved_at == resolved_at
    assert watch.events() == [
        event(EventKind.CLOSED, world.supervisor, field="status", old="Resolved", new="Closed")
    ]
    watch.assert_bumped(ticket)
    assert_counters_true()


def test_a_closed_ticket_cannot_be_closed_again(world: World, closed: Ticket) -> None:
    with refused(closed, Refused, match="already closed"):
        lifecycle.close(closed, actor=world.agent)


def test_a_ticket_in_another_closed_status_cannot_be_closed(world: World, ticket: Ticket) -> None:
    spam = Status.objects.create(name="Spam", state=State.CLOSED)
    Ticket.objects.filter(pk=ticket.pk).update(status=spam, state=State.CLOSED)

    with refused(ticket, Refused, match="Only open or resolved"):
        lifecycle.close(ticket, actor=world.agent)


def test_the_system_closes_tickets_on_its_own(world: World, resolved: Ticket) -> None:
    watch = Watch(resolved)

    ticket = lifecycle.close(resolved, actor=None, reason="No answer for 7 days")

    assert watch.events() == [
        event(
            EventKind.CLOSED,
            None,
            field="status",
            old="Resolved",
            new="Closed",
            reason="No answer for 7 days",
        )
    ]
    watch.assert_bumped(ticket)


def test_closing_an_overdue_ticket_clears_the_overdue_flag(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.sla_tick(ticket, now=due(ticket))

    ticket = lifecycle.close(ticket, actor=world.agent)

    assert not reload(ticket).is_overdue
    assert_counters_true()


# --- reopen -----------------------------------------------------------------------------


@pytest.mark.parametrize(("fixture", "old"), [("resolved", "Resolved"), ("closed", "Closed")])
def test_an_agent_reopens_a_resolved_or_closed_ticket(
    world: World, request: pytest.FixtureRequest, fixture: str, old: str
) -> None:
    ticket: Ticket = request.getfixturevalue(fixture)
    watch = Watch(ticket)
    later = timezone.now() + timedelta(days=2)

    with time_machine.travel(later, tick=False):
        ticket = lifecycle.reopen(ticket, actor=world.supervisor, reason="Not fixed after all")

    fresh = reload(ticket)
    assert fresh.status == world.status("Open")
    assert fresh.state == State.OPEN
    assert fresh.reopen_count == 1
    assert fresh.resolved_at is None
    assert fresh.closed_at is None
    assert fresh.due_at == later + timedelta(hours=8)
    assert fresh.assignee == world.agent
    assert watch.events() == [
        event(
            EventKind.REOPENED,
            world.supervisor,
            field="status",
            old=old,
            new="Open",
            reason="Not fixed after all",
        )
    ]
    watch.assert_bumped(ticket)
    assert_counters_true()


def test_reopening_twice_counts_twice(world: World, resolved: Ticket) -> None:
    ticket = lifecycle.reopen(resolved, actor=world.agent)
    ticket = lifecycle.close(ticket, actor=world.agent)

    ticket = lifecycle.reopen(ticket, actor=world.agent)

    assert reload(ticket).reopen_count == 2


def test_an_open_ticket_cannot_be_reopened(world: World, assigned: Ticket) -> None:
    with refused(assigned, Refused, match="Only resolved or closed"):
        lifecycle.reopen(assigned, actor=world.agent)


# --- archived ---------------------------------------------------------------------------

ARCHIVED_CHANGES: dict[str, Callable[[World, Ticket], object]] = {
    "note": lambda w, t: lifecycle.add_note(t, actor=w.agent, body_html="<p>x</p>"),
    "customer_reply": lambda w, t: lifecycle.customer_reply(
        t, actor=w.customer, body_html="<p>x</p>"
    ),
    "priority": lambda w, t: lifecycle.change_priority(
        t, actor=w.agent, priority=Priority.objects.get(name="High")
    ),
    "edit": lambda w, t: lifecycle.edit(t, actor=w.agent, subject="New subject"),
    "status": lambda w, t: lifecycle.change_status(
        t, actor=w.agent, status=w.status("In Progress")
    ),
    "resolve": lambda w, t: lifecycle.resolve(t, actor=w.agent, explanation_html="<p>x</p>"),
    "close": lambda w, t: lifecycle.close(t, actor=w.agent),
    "reopen": lambda w, t: lifecycle.reopen(t, actor=w.agent),
    "reply": lambda w, t: lifecycle.reply(t, actor=w.agent, body_html="<p>x</p>"),
}


@pytest.mark.parametrize("change", ARCHIVED_CHANGES)
def test_archived_tickets_are_read_only(world: World, closed: Ticket, change: str) -> None:
    archive = Status.objects.create(name="Archived", state=State.ARCHIVED)
    Ticket.objects.filter(pk=closed.pk).update(status=archive, state=State.ARCHIVED)

    with refused(closed, Refused):
        ARCHIVED_CHANGES[change](world, closed)


# --- the clock marks tickets overdue (lifecycle.sla_tick) --------------------------------


def test_the_clock_marks_a_ticket_overdue_once_its_due_time_has_passed(
    world: World, assigned: Ticket
) -> None:
    watch = Watch(assigned)

    ticket = lifecycle.sla_tick(assigned, now=due(assigned) + timedelta(seconds=1))

    assert reload(ticket).is_overdue
    reason = f"Resolution target missed (due {due(assigned):%Y-%m-%d %H:%M} UTC)"
    assert watch.events() == [
        event(EventKind.OVERDUE, None, field="overdue", old="False", new="True", reason=reason)
    ]
    watch.assert_bumped(ticket)
    assert_counters_true()


def test_the_clock_reads_the_time_itself_when_not_told(world: World, ticket: Ticket) -> None:
    with time_machine.travel(due(ticket) + timedelta(minutes=1), tick=False):
        ticket = lifecycle.sla_tick(ticket)

    assert reload(ticket).is_overdue
    assert last_event(ticket).created_at == due(ticket) + timedelta(minutes=1)


def test_a_ticket_is_overdue_exactly_at_its_due_time(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.sla_tick(ticket, now=due(ticket))

    assert reload(ticket).is_overdue


def untouched_by_the_clock(ticket: Ticket, now: datetime) -> None:
    watch = Watch(ticket)
    lifecycle.sla_tick(ticket, now=now)
    watch.assert_untouched()
    assert not reload(ticket).is_overdue or ticket.is_overdue


def test_a_ticket_not_yet_due_is_not_marked_overdue(world: World, ticket: Ticket) -> None:
    untouched_by_the_clock(ticket, due(ticket) - timedelta(seconds=1))

    assert not reload(ticket).is_overdue


def test_an_overdue_ticket_is_not_marked_again(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.sla_tick(ticket, now=due(ticket))

    untouched_by_the_clock(ticket, due(ticket) + timedelta(hours=1))


@pytest.mark.parametrize("fixture", ["resolved", "closed"])
def test_a_resolved_or_closed_ticket_is_never_marked_overdue(
    world: World, request: pytest.FixtureRequest, fixture: str
) -> None:
    ticket: Ticket = request.getfixturevalue(fixture)

    untouched_by_the_clock(ticket, timezone.now() + timedelta(days=30))
    assert not reload(ticket).is_overdue


def test_a_ticket_without_a_due_time_is_never_marked_overdue(world: World) -> None:
    SLAPlan.objects.update(is_active=False)
    ticket = world.open()

    untouched_by_the_clock(ticket, timezone.now() + timedelta(days=30))
    assert not reload(ticket).is_overdue


def test_reopening_an_overdue_ticket_clears_the_flag_and_sets_a_new_due_time(
    world: World, assigned: Ticket
) -> None:
    ticket = lifecycle.sla_tick(assigned, now=due(assigned))
    ticket = lifecycle.close(ticket, actor=world.agent)

    ticket = lifecycle.reopen(ticket, actor=world.agent)

    fresh = reload(ticket)
    assert not fresh.is_overdue
    assert due(fresh) > timezone.now() + timedelta(hours=7)
    assert_counters_true()


def test_customers_cannot_change_status_resolve_close_or_reopen(
    world: World, assigned: Ticket
) -> None:
    with refused(assigned, NotAllowed):
        lifecycle.change_status(assigned, actor=world.customer, status=world.status("On Hold"))
    with refused(assigned, NotAllowed):
        lifecycle.resolve(assigned, actor=world.customer, explanation_html="<p>Fixed it</p>")
    with refused(assigned, NotAllowed):
        lifecycle.close(assigned, actor=world.customer)
    closed = lifecycle.close(assigned, actor=world.agent)
    with refused(closed, NotAllowed):
        lifecycle.reopen(closed, actor=world.customer)
