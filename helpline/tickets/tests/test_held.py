"""Mail held for review: agents accept it as the customer's reply, or dismiss it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from helpline.accounts.models import Customer
from helpline.conftest import World
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import Upload
from helpline.tickets.models import (
    Collaborator,
    Entry,
    EntryKind,
    Event,
    EventKind,
    HeldReply,
    State,
    Ticket,
)


def resolved(world: World) -> Ticket:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    return lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done</p>")


def hold(ticket: Ticket, world: World, **kwargs: object) -> HeldReply:
    values: dict[str, object] = {
        "sender_name": "Ken Adams",
        "sender_email": "ken@example.com",
        "customer": world.customer,
        "body_html": "<p>It burns again.</p>",
        "reasons": [HeldReply.Reason.NO_TOKEN],
        **kwargs,
    }
    return lifecycle.hold_reply(ticket, **values)  # type: ignore[arg-type]


def refused(held: HeldReply, error: type[Exception], call: object) -> None:
    """The call is refused and nothing changes: the mail still waits, the ticket
    keeps its version and thread."""
    ticket = Ticket.objects.get(pk=held.ticket_id)
    thread = Entry.objects.filter(ticket=ticket).count()
    with pytest.raises(error):
        call()  # type: ignore[operator]
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.version == ticket.version
    assert Entry.objects.filter(ticket=ticket).count() == thread


def test_holding_a_mail_changes_nothing_but_adds_the_note_and_an_event(world: World) -> None:
    ticket = resolved(world)
    fan_out_pending()
    mails = OutboundMessage.objects.count()

    held = hold(ticket, world, detail="dmarc=fail")

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.state == State.CLOSED and fresh.status_id == ticket.status_id
    assert held.state == HeldReply.State.HELD and held.is_waiting
    assert held.note.kind == EntryKind.NOTE and held.note.author_name == "System"
    assert "It burns again." in held.note.body and "dmarc=fail" in held.note.body
    event = Event.objects.filter(ticket=ticket).latest("pk")
    assert (event.kind, event.new_value, event.data["held"]) == (
        EventKind.HELD,
        "ken@example.com",
        held.pk,
    )
    fan_out_pending()
    assert OutboundMessage.objects.count() == mails  # nobody is told


def test_holding_a_mail_does_not_make_an_agents_open_form_conflict(world: World) -> None:
    """Like a rating, a held mail changes nothing an agent edits: the ticket keeps
    its version (and updated_at), so the change an agent was making goes through."""
    ticket = world.open()
    before = Ticket.objects.get(pk=ticket.pk)

    hold(ticket, world, sender_email="mal@example.net", customer=None)

    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    assert Event.objects.filter(ticket=ticket, kind=EventKind.HELD).count() == 1
    # The form the agent opened before the mail came, with the version it showed.
    claimed = lifecycle.claim(before, actor=world.agent, expected_version=before.version)
    assert claimed.assignee == world.agent


def test_accepting_posts_the_customers_reply_with_its_normal_effects(world: World) -> None:
    ticket = resolved(world)
    held = hold(ticket, world)

    result = lifecycle.accept_held(held, actor=world.agent)

    assert result == ticket
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.is_open and fresh.reopen_count == 1
    message = Entry.objects.filter(ticket=ticket).latest("pk")
    assert (message.kind, message.customer, message.body) == (
        EntryKind.MESSAGE,
        world.customer,
        "<p>It burns again.</p>",
    )
    accepted = Event.objects.get(ticket=ticket, kind=EventKind.HELD_ACCEPTED)
    assert (accepted.agent, accepted.old_value, accepted.new_value) == (
        world.agent,
        "ken@example.com",
        "Ken Adams",
    )
    # Then, after the acceptance in the timeline, the customer's reply and its reopen.
    later = Event.objects.filter(ticket=ticket, pk__gt=accepted.pk)
    kinds = list(later.values_list("kind", "actor_name"))
    assert (EventKind.CUSTOMER_REPLIED, "Ken Adams") in kinds
    assert (EventKind.REOPENED, "Ken Adams") in kinds
    held.refresh_from_db()
    assert (held.state, held.decided_by) == (HeldReply.State.ACCEPTED, world.agent)
    # The reopen alert goes to the assignee, as for any customer reply.
    fan_out_pending()
    assert OutboundMessage.objects.filter(ticket=ticket, kind=MailKind.REOPENED_ALERT).exists()


def test_a_strangers_accepted_mail_is_theirs_and_they_become_a_collaborator(
    world: World,
) -> None:
    """Never in the ticket customer's name: the thread shows who wrote it."""
    ticket = world.open()
    held = hold(
        ticket,
        world,
        sender_name="Kim Colleague",
        sender_email="kim@example.net",
        customer=None,
        reasons=[HeldReply.Reason.STRANGER],
    )

    lifecycle.accept_held(held, actor=world.agent)

    kim = Customer.objects.get(email="kim@example.net")
    assert kim.name == "Kim Colleague" and kim.pk != world.customer.pk
    message = Entry.objects.filter(ticket=ticket).latest("pk")
    assert (message.kind, message.customer) == (EntryKind.MESSAGE, kim)
    assert "It burns again." in message.body and message.author_name == "Kim Colleague"
    assert Collaborator.objects.filter(ticket=ticket, customer=kim).exists()
    events = list(
        Event.objects.filter(ticket=ticket)
        .order_by("pk")
        .values_list("kind", "actor_name", "new_value")
    )
    assert (EventKind.COLLABORATOR, world.agent.name, str(kim)) in events
    assert (EventKind.HELD_ACCEPTED, world.agent.name, "Kim Colleague") in events
    assert (EventKind.CUSTOMER_REPLIED, "Kim Colleague", "") in [
        (k, a, n or "") for k, a, n in events
    ]
    # Replies reach them from now on; the ticket's customer is unchanged.
    assert Ticket.objects.get(pk=ticket.pk).customer == world.customer


def test_a_known_customer_not_on_the_ticket_is_added_with_their_own_record(
    world: World,
) -> None:
    ticket = world.open()
    held = hold(
        ticket,
        world,
        sender_name="Olly Outsider",
        sender_email=world.outsider.email,
        customer=world.outsider,
        reasons=[HeldReply.Reason.STRANGER],
    )
    customers = Customer.objects.count()

    lifecycle.accept_held(held, actor=world.agent)

    assert Customer.objects.count() == customers  # found, not made again
    message = Entry.objects.filter(ticket=ticket).latest("pk")
    assert message.customer == world.outsider
    assert Collaborator.objects.filter(ticket=ticket, customer=world.outsider).exists()


def test_a_collaborators_accepted_mail_adds_nobody(world: World) -> None:
    ticket = world.open()
    lifecycle.add_collaborator(ticket, actor=world.agent, customer=world.outsider)
    held = hold(ticket, world, sender_email=world.outsider.email, customer=world.outsider)

    lifecycle.accept_held(held, actor=world.agent)

    assert Collaborator.objects.filter(ticket=ticket).count() == 1
    assert Entry.objects.filter(ticket=ticket).latest("pk").customer == world.outsider


def test_accepting_keeps_the_held_mails_attachments(world: World, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = world.open()
    held = hold(ticket, world, uploads=[Upload("log.txt", "text/plain", b"smoke")])

    lifecycle.accept_held(held, actor=world.agent)

    message = Entry.objects.filter(ticket=ticket, kind=EntryKind.MESSAGE).latest("pk")
    (attachment,) = message.attachments.all()
    assert attachment.filename == "log.txt" and attachment.file.read() == b"smoke"


def test_accepting_after_the_reopen_window_opens_a_follow_up(world: World) -> None:
    world.support.reopen_window_days = 7
    world.support.save()
    ticket = resolved(world)
    held = hold(ticket, world)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        result = lifecycle.accept_held(held, actor=world.agent)

    assert result != ticket and result.follows == ticket
    assert Ticket.objects.get(pk=ticket.pk).reopen_count == 0


def test_dismissing_keeps_only_the_note_and_records_who(world: World) -> None:
    ticket = resolved(world)
    held = hold(ticket, world)

    lifecycle.dismiss_held(held, actor=world.agent)

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.state == State.CLOSED and fresh.reopen_count == 0
    assert not Entry.objects.filter(ticket=ticket, kind=EntryKind.MESSAGE, pk__gt=held.note.pk)
    held.refresh_from_db()
    assert (held.state, held.decided_by) == (HeldReply.State.DISMISSED, world.agent)
    event = Event.objects.get(ticket=ticket, kind=EventKind.HELD_DISMISSED)
    assert (event.agent, event.old_value) == (world.agent, "ken@example.com")


def test_a_held_mail_is_decided_only_once(world: World) -> None:
    ticket = world.open()
    held = hold(ticket, world)
    lifecycle.accept_held(held, actor=world.agent)

    refused(held, lifecycle.Refused, lambda: lifecycle.accept_held(held, actor=world.agent))
    refused(held, lifecycle.Refused, lambda: lifecycle.dismiss_held(held, actor=world.agent))
    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.MESSAGE).count() == 2


def test_an_agent_of_another_department_cannot_decide(world: World) -> None:
    held = hold(world.open(), world)

    refused(
        held, lifecycle.NotAllowed, lambda: lifecycle.accept_held(held, actor=world.other_agent)
    )
    refused(
        held, lifecycle.NotAllowed, lambda: lifecycle.dismiss_held(held, actor=world.other_agent)
    )
    held.refresh_from_db()
    assert held.is_waiting


def test_a_hold_needs_a_known_reason(world: World) -> None:
    with pytest.raises(ValueError):
        hold(world.open(), world, reasons=["because"])


def test_holding_a_mail_sanitizes_only_before_the_write_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """held.py promises "sanitize before the transaction: nothing slow holds the
    lock". The real sanitizer runs; we only record whether a transaction is open
    (pytest-django's test transaction opens no savepoint; the lifecycle's does)."""
    from django.db import connection

    from helpline.lib import html as lib_html
    from helpline.tickets.lifecycle import core

    inside: list[bool] = []
    real = lib_html.sanitize

    def recording(value: str, *, checked: bool = False) -> str:
        inside.append(connection.in_atomic_block and len(connection.savepoint_ids) >= 1)
        return real(value, checked=checked)

    monkeypatch.setattr(core, "sanitize", recording)
    ticket = world.open()

    hold(ticket, world, customer=None, sender_email="mal@example.net")

    assert not any(inside), inside
