"""Mail about a ticket that was merged since lands on the ticket it was merged into."""

from __future__ import annotations

from django.utils import timezone

from helpline.conftest import World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import LedgerOutcome, Mailbox, ProcessedMessage
from helpline.intake.tests.helpers import mail
from helpline.lib.mailids import make_message_id
from helpline.notify.models import MailKind, OutboundMessage
from helpline.tickets import lifecycle
from helpline.tickets.models import Entry, EntryKind, Ticket

from .test_ingest import reply_to


def entries(ticket: Ticket) -> list[Entry]:
    return list(Entry.objects.filter(ticket_id=ticket.pk).order_by("created_at", "id"))


def test_a_reply_to_the_merged_tickets_mail_lands_in_the_survivor(
    world: World, support_mailbox: Mailbox
) -> None:
    keep = world.open("Printer on fire")
    dup = world.open("Printer still on fire")
    lifecycle.merge(dup, into=keep, actor=world.agent)

    result = ingest_message(reply_to(dup, body="It is out now."), mailbox=support_mailbox)

    assert (result.outcome, result.ticket) == (LedgerOutcome.REPLY, keep)
    last = entries(keep)[-1]
    assert (last.kind, last.customer, last.body) == (
        EntryKind.MESSAGE,
        world.customer,
        "<p>It is out now.</p>",
    )
    assert entries(dup) == []
    assert ProcessedMessage.objects.get().ticket == keep


def test_the_merged_tickets_own_customer_writes_on_the_survivor(
    world: World, support_mailbox: Mailbox
) -> None:
    # Olive reported the same outage; her ticket was merged into Ken's.
    keep = world.open("Mail is down")
    dup = world.open("No mail", customer=world.outsider, actor=world.outsider)
    lifecycle.merge(dup, into=keep, actor=world.agent)

    raw = reply_to(dup, sender="Olive Outsider <olive@example.org>", body="Still nothing.")
    result = ingest_message(raw, mailbox=support_mailbox)

    assert (result.outcome, result.ticket) == (LedgerOutcome.REPLY, keep)
    assert entries(keep)[-1].customer == world.outsider


def test_mail_naming_only_the_merged_number_is_held_on_the_survivor(
    world: World, support_mailbox: Mailbox
) -> None:
    keep = world.open("Printer on fire")
    dup = world.open("Printer still on fire")
    lifecycle.merge(dup, into=keep, actor=world.agent)

    result = ingest_message(mail(subject=f"Re: [#{dup.number}] more"), mailbox=support_mailbox)

    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, keep)
    assert keep.held_replies.count() == 1
    assert entries(dup) == []


def test_an_agents_answer_to_an_alert_about_the_merged_ticket_replies_on_the_survivor(
    world: World, support_mailbox: Mailbox
) -> None:
    keep = world.open("Printer on fire")
    dup = world.open("Printer still on fire")
    agent = world.agent
    alert = OutboundMessage.objects.create(
        ticket=dup,
        kind=MailKind.NEW_TICKET_ALERT,
        from_email="helpdesk@localhost",
        to=[f"{agent.name} <{agent.user.email}>"],
        subject=f"New ticket #{dup.number}",
        text="A new ticket.",
        message_id=make_message_id(dup.number, f"t{agent.pk}"),
        created_at=timezone.now(),
    )
    lifecycle.merge(dup, into=keep, actor=world.supervisor)

    raw = mail(
        sender=agent.user.email,
        subject=f"Re: New ticket #{dup.number}",
        body="Unplug it, please.",
        in_reply_to=alert.message_id,
    )
    result = ingest_message(raw, mailbox=support_mailbox)

    assert (result.outcome, result.ticket) == (LedgerOutcome.REPLY, keep)
    last = entries(keep)[-1]
    assert (last.kind, last.agent) == (EntryKind.REPLY, agent)
