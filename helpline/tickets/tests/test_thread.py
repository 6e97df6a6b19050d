"""The thread: agents' replies, internal notes, customers' messages, and sanitizing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from helpline.accounts.models import Customer
from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import NotAllowed, Refused, Upload
from helpline.tickets.models import Entry, EntryKind, EventKind, Priority, Source, State, Ticket

from .helpers import (
    Watch,
    assert_counters_true,
    event,
    last_entry,
    last_event,
    refused,
    reload,
)

BLANK_BODIES = ["", "   ", "<p> </p>", "<br>", "<script>alert(1)</script>"]

# --- reply ------------------------------------------------------------------------------


def test_an_agent_replies_to_their_ticket(world: World, assigned: Ticket) -> None:
    watch = Watch(assigned)

    ticket = lifecycle.reply(assigned, actor=world.agent, body_html="<p>Unplug it.</p>")

    [entry] = watch.new_entries()
    assert entry.kind == EntryKind.REPLY
    assert entry.is_public
    assert not entry.is_resolution
    assert entry.agent == world.agent
    assert entry.customer is None
    assert entry.author_name == "Alice Agent"
    assert entry.body == "<p>Unplug it.</p>"
    assert ticket.last_response_at == entry.created_at
    assert reload(ticket).last_response_at == entry.created_at
    assert watch.events() == [event(EventKind.REPLIED, world.agent)]
    watch.assert_bumped(ticket)
    assert ticket.status == world.status("Open")


def test_replying_to_an_unassigned_ticket_claims_it(world: World, ticket: Ticket) -> None:
    watch = Watch(ticket)

    ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>On it.</p>")

    assert reload(ticket).assignee == world.agent
    assert watch.events() == [
        event(EventKind.REPLIED, world.agent),
        event(
            EventKind.ASSIGNED,
            world.agent,
            field="agent",
            new="Alice Agent",
            reason="Claimed by replying",
        ),
    ]
    # The same ids as any other assignment, for reports that group by agent.
    assert last_event(ticket).data == {"old": None, "new": world.agent.pk, "own_reason": True}
    watch.assert_bumped(ticket)
    assert_counters_true()


def test_replying_to_a_colleagues_ticket_leaves_it_with_them(
    world: World, assigned: Ticket
) -> None:
    watch = Watch(assigned)

    ticket = lifecycle.reply(assigned, actor=world.supervisor, body_html="<p>Hi Ken.</p>")

    assert reload(ticket).assignee == world.agent
    assert watch.events() == [event(EventKind.REPLIED, world.supervisor)]


def test_a_reply_can_move_the_ticket_to_another_open_status(world: World, ticket: Ticket) -> None:
    watch = Watch(ticket)

    ticket = lifecycle.reply(
        ticket,
        actor=world.agent,
        body_html="<p>Which model is it?</p>",
        status=world.status("Pending Customer Reply"),
        expected_version=ticket.version,
    )

    assert reload(ticket).status == world.status("Pending Customer Reply")
    assert watch.events() == [
        event(EventKind.REPLIED, world.agent),
        event(
            EventKind.ASSIGNED,
            world.agent,
            field="agent",
            new="Alice Agent",
            reason="Claimed by replying",
        ),
        event(
            EventKind.STATUS,
            world.agent,
            field="status",
            old="Open",
            new="Pending Customer Reply",
        ),
    ]
    watch.assert_bumped(ticket)


def test_a_reply_with_the_current_status_changes_no_status(world: World, assigned: Ticket) -> None:
    watch = Watch(assigned)

    lifecycle.reply(
        assigned, actor=world.agent, body_html="<p>Hi.</p>", status=world.status("Open")
    )

    assert [e.kind for e in watch.events()] == [EventKind.REPLIED]


@pytest.mark.parametrize("name", ["Resolved", "Closed"])
def test_a_reply_cannot_resolve_or_close_the_ticket(
    world: World, assigned: Ticket, name: str
) -> None:
    with refused(assigned, Refused, match="Resolve or Close"):
        lifecycle.reply(
            assigned, actor=world.agent, body_html="<p>Done.</p>", status=world.status(name)
        )


def test_a_resolved_ticket_cannot_be_replied_to(world: World, resolved: Ticket) -> None:
    with refused(resolved, Refused, match="reopen"):
        lifecycle.reply(resolved, actor=world.agent, body_html="<p>One more thing.</p>")


def test_a_closed_ticket_cannot_be_replied_to(world: World, closed: Ticket) -> None:
    with refused(closed, Refused, match="reopen"):
        lifecycle.reply(closed, actor=world.agent, body_html="<p>One more thing.</p>")


@pytest.mark.parametrize("body", BLANK_BODIES)
def test_an_empty_reply_is_refused(world: World, ticket: Ticket, body: str) -> None:
    with refused(ticket, Refused, match="empty"):
        lifecycle.reply(ticket, actor=world.agent, body_html=body)
    assert reload(ticket).assignee is None


def test_a_reply_of_only_an_attachment_is_accepted(
    world: World, assigned: Ticket, media: Path
) -> None:
    upload = Upload(filename="steps.txt", content_type="text/plain", content=b"1. unplug")

    lifecycle.reply(assigned, actor=world.agent, body_html="", uploads=[upload])

    entry = last_entry(assigned)
    [attachment] = entry.attachments.all()
    assert attachment.filename == "steps.txt"
    assert attachment.size == 9
    assert attachment.file.read() == b"1. unplug"
    assert Path(attachment.file.path).is_relative_to(media)


def test_a_reply_without_a_status_change_is_accepted_from_a_stale_page(
    world: World, assigned: Ticket
) -> None:
    # A reply overwrites nothing, so the version is only checked with a status change.
    stale = assigned.version
    lifecycle.change_priority(
        assigned, actor=world.supervisor, priority=Priority.objects.get(name="High")
    )

    ticket = lifecycle.reply(
        assigned, actor=world.agent, body_html="<p>Hi.</p>", expected_version=stale
    )

    assert ticket.version == stale + 2


def test_a_reply_keeps_the_channel_it_came_from(world: World, assigned: Ticket) -> None:
    lifecycle.reply(assigned, actor=world.agent, body_html="<p>Hi.</p>", source=Source.EMAIL)

    assert last_entry(assigned).source == Source.EMAIL


# --- notes ------------------------------------------------------------------------------


def test_an_agent_adds_an_internal_note(world: World, ticket: Ticket) -> None:
    watch = Watch(ticket)

    ticket = lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Called facilities.</p>")

    [entry] = watch.new_entries()
    assert entry.kind == EntryKind.NOTE
    assert not entry.is_public
    assert entry.agent == world.agent
    assert entry.author_name == "Alice Agent"
    assert watch.events() == [event(EventKind.NOTE, world.agent)]
    watch.assert_bumped(ticket)
    fresh = reload(ticket)
    # A note is no answer to the customer and claims nothing.
    assert fresh.last_response_at is None
    assert fresh.assignee is None


def test_a_note_is_never_public_whatever_else_happens(world: World, ticket: Ticket) -> None:
    lifecycle.add_note(ticket, actor=world.supervisor, body_html="<p>VIP customer</p>")
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Hello</p>")

    public = [e.body for e in Entry.objects.filter(ticket=ticket) if e.is_public]
    assert "<p>VIP customer</p>" not in public
    assert Entry.objects.get(body="<p>VIP customer</p>").kind == EntryKind.NOTE


def test_a_note_can_be_added_to_a_closed_ticket(world: World, closed: Ticket) -> None:
    watch = Watch(closed)

    ticket = lifecycle.add_note(closed, actor=world.agent, body_html="<p>Refund sent.</p>")

    assert ticket.state == State.CLOSED
    assert watch.events() == [event(EventKind.NOTE, world.agent)]
    watch.assert_bumped(ticket)


@pytest.mark.parametrize("body", BLANK_BODIES)
def test_an_empty_note_is_refused(world: World, ticket: Ticket, body: str) -> None:
    with refused(ticket, Refused, match="empty"):
        lifecycle.add_note(ticket, actor=world.agent, body_html=body)


def test_a_customer_cannot_add_a_note(world: World, ticket: Ticket) -> None:
    with refused(ticket, NotAllowed):
        lifecycle.add_note(ticket, actor=world.customer, body_html="<p>Psst</p>")


# --- customer replies -------------------------------------------------------------------


def test_the_customer_replies_on_their_open_ticket(world: World, assigned: Ticket) -> None:
    watch = Watch(assigned)

    ticket = lifecycle.customer_reply(assigned, actor=world.customer, body_html="<p>Still hot</p>")

    [entry] = watch.new_entries()
    assert entry.kind == EntryKind.MESSAGE
    assert entry.customer == world.customer
    assert entry.agent is None
    assert entry.author_name == "Ken Adams"
    assert watch.events() == [event(EventKind.CUSTOMER_REPLIED, world.customer)]
    watch.assert_bumped(ticket)
    fresh = reload(ticket)
    assert fresh.last_message_at == entry.created_at
    assert fresh.status == world.status("Open")
    assert fresh.reopen_count == 0


def test_another_customer_cannot_write_on_the_ticket(world: World, ticket: Ticket) -> None:
    with refused(ticket, NotAllowed):
        lifecycle.customer_reply(ticket, actor=world.outsider, body_html="<p>Me too</p>")


def test_an_agent_cannot_write_as_the_customer(world: World, ticket: Ticket) -> None:
    with refused(ticket, NotAllowed):
        lifecycle.customer_reply(ticket, actor=world.agent, body_html="<p>Hi</p>")  # type: ignore[arg-type]


@pytest.mark.parametrize("body", BLANK_BODIES)
def test_an_empty_customer_reply_is_refused(world: World, ticket: Ticket, body: str) -> None:
    with refused(ticket, Refused, match="empty"):
        lifecycle.customer_reply(ticket, actor=world.customer, body_html=body)


@pytest.mark.parametrize(
    ("fixture", "old_status"), [("resolved", "Resolved"), ("closed", "Closed")]
)
def test_a_customer_reply_reopens_a_resolved_or_closed_ticket(
    world: World, request: pytest.FixtureRequest, fixture: str, old_status: str
) -> None:
    ticket: Ticket = request.getfixturevalue(fixture)
    watch = Watch(ticket)
    later = timezone.now() + timedelta(hours=30)

    with time_machine.travel(later, tick=False):
        ticket = lifecycle.customer_reply(
            ticket, actor=world.customer, body_html="<p>It is burning again.</p>"
        )

    fresh = reload(ticket)
    assert fresh.status == world.status("Open")
    assert fresh.state == State.OPEN
    assert fresh.reopen_count == 1
    assert fresh.resolved_at is None
    assert fresh.closed_at is None
    assert fresh.due_at == later + timedelta(hours=8)
    assert not fresh.is_overdue
    assert fresh.assignee == world.agent
    assert watch.events() == [
        event(EventKind.CUSTOMER_REPLIED, world.customer),
        event(
            EventKind.REOPENED,
            world.customer,
            field="status",
            old=old_status,
            new="Open",
            reason="The customer replied",
        ),
    ]
    watch.assert_bumped(ticket)
    assert_counters_true()


# --- sanitizing -------------------------------------------------------------------------

HOSTILE = (
    '<p>Hello<script>alert("x")</script></p>'
    '<img src="https://example.com/a.png" onerror="alert(1)">'
    '<a href="javascript:alert(2)" onclick="alert(3)">link</a>'
)


def _opened(world: World, body: str) -> Ticket:
    return world.open(body_html=body)


CHANNELS: dict[str, Callable[[World, str], object]] = {
    "open": _opened,
    "reply": lambda w, body: lifecycle.reply(w.open(), actor=w.agent, body_html=body),
    "note": lambda w, body: lifecycle.add_note(w.open(), actor=w.agent, body_html=body),
    "customer_reply": lambda w, body: lifecycle.customer_reply(
        w.open(), actor=w.customer, body_html=body
    ),
    "resolve": lambda w, body: lifecycle.resolve(w.open(), actor=w.agent, explanation_html=body),
}


@pytest.mark.parametrize("channel", CHANNELS)
def test_scripts_and_event_handlers_are_stripped_before_a_body_is_stored(
    world: World, channel: str
) -> None:
    CHANNELS[channel](world, HOSTILE)

    body = Entry.objects.latest("pk").body
    assert "Hello" in body
    assert "<script" not in body
    assert "alert" not in body
    assert "onerror" not in body
    assert "onclick" not in body
    assert "javascript:" not in body
    assert '<img src="https://example.com/a.png">' in body


def test_a_collaborator_may_write_on_the_ticket_and_an_outsider_may_not(
    world: World, ticket: Ticket
) -> None:
    ticket = lifecycle.add_collaborator(ticket, actor=world.agent, customer=world.outsider)
    assert last_event(ticket).kind == EventKind.COLLABORATOR
    ticket = lifecycle.customer_reply(ticket, actor=world.outsider, body_html="<p>Me too</p>")
    assert last_entry(ticket).customer == world.outsider
    stranger = Customer.objects.create(name="Stranger", email="stranger@example.net")
    with refused(ticket, NotAllowed):
        lifecycle.customer_reply(ticket, actor=stranger, body_html="<p>Let me in</p>")


def test_collaborators_named_at_opening_follow_the_ticket(world: World) -> None:
    ticket = world.open(collaborators=[world.outsider, world.customer])
    assert [c.customer for c in ticket.collaborators.all()] == [world.outsider]
    with pytest.raises(Refused, match="already follows"):
        lifecycle.add_collaborator(ticket, actor=world.agent, customer=world.outsider)


def test_events_that_write_to_the_thread_name_their_entry(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Answer</p>")
    replied = ticket.events.get(kind=EventKind.REPLIED)
    assert replied.data["entry"] == last_entry(ticket).pk
    ticket = lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Note</p>")
    assert last_event(ticket).data == {"entry": last_entry(ticket).pk}
    ticket = lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>Thanks</p>")
    assert last_event(ticket).data == {"entry": last_entry(ticket).pk}
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done</p>")
    assert last_event(ticket).data["entry"] == last_entry(ticket).pk


def test_the_system_writes_internal_notes_such_as_bounces(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.add_note(ticket, actor=None, body_html="<p>Delivery failed</p>")
    note = last_entry(ticket)
    assert note.kind == EntryKind.NOTE and note.author_name == "System"
    assert last_event(ticket).agent is None and last_event(ticket).customer is None
