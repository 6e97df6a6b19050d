"""Placing mail: new tickets, threading, agents and collaborators."""

from __future__ import annotations

from django.utils import timezone

from helpline.accounts.models import Agent, Customer
from helpline.conftest import World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import LedgerOutcome, Mailbox, ProcessedMessage
from helpline.intake.tests.helpers import mail, message_id_of
from helpline.lib.mailids import make_message_id
from helpline.notify.models import MailKind, OutboundMessage
from helpline.tickets import lifecycle
from helpline.tickets.models import Collaborator, Entry, EntryKind, Event, EventKind, Ticket

MARKER = "-- Reply above this line to add to ticket #{} --"


def reply_to(ticket: Ticket, **kwargs: object) -> bytes:
    """A reply to mail we sent about `ticket`, quoting it below our marker."""
    ours = make_message_id(ticket.number, "r1")
    kwargs.setdefault(
        "body",
        f"Thanks, that worked.\n\nOn Mon, Helpline wrote:\n> {MARKER.format(ticket.number)}\n"
        "> Unplug it.",
    )
    return mail(subject=f"Re: [#{ticket.number}] {ticket.subject}", in_reply_to=ours,
                references=ours, **kwargs)  # type: ignore[arg-type]  # fmt: skip


def answer_to_alert(ticket: Ticket, agent: Agent, **kwargs: object) -> bytes:
    """An agent's answer to an alert we mailed to them about `ticket`: the only kind
    of mail that acts as the agent (a From line alone can be forged)."""
    alert = OutboundMessage.objects.create(
        ticket=ticket,
        kind=MailKind.NEW_TICKET_ALERT,
        from_email="helpdesk@localhost",
        to=[f"{agent.name} <{agent.user.email}>"],
        subject=f"New ticket #{ticket.number}",
        text="A new ticket.",
        message_id=make_message_id(ticket.number, f"t{agent.pk}"),
        created_at=timezone.now(),
    )
    kwargs.setdefault("sender", agent.user.email)
    kwargs.setdefault("body", "Unplug it.")
    return mail(subject=f"Re: New ticket #{ticket.number}", in_reply_to=alert.message_id,
                references=alert.message_id, **kwargs)  # type: ignore[arg-type]  # fmt: skip


def entries(ticket: Ticket) -> list[Entry]:
    return list(Entry.objects.filter(ticket=ticket).order_by("pk"))


# --- new tickets ------------------------------------------------------------------------


def test_mail_from_a_new_address_opens_a_ticket_for_a_new_customer(
    world: World, support_mailbox: Mailbox
) -> None:
    raw = mail(sender="Nina New <nina@example.net>", subject="Cannot log in", body="Help!")

    result = ingest_message(raw, mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.TICKET
    ticket = result.ticket
    assert ticket is not None
    assert ticket.subject == "Cannot log in"
    assert ticket.department == world.support
    assert ticket.source == "email"
    assert ticket.customer.email == "nina@example.net"
    assert ticket.customer.name == "Nina New"
    [entry] = entries(ticket)
    assert entry.kind == EntryKind.MESSAGE and entry.customer == ticket.customer
    assert entry.body == "<p>Help!</p>"
    created = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    assert created.data["autorespond"] is True
    ledger = ProcessedMessage.objects.get()
    assert (ledger.message_id, ledger.outcome, ledger.ticket) == (
        message_id_of(raw),
        LedgerOutcome.TICKET,
        ticket,
    )


def test_mail_from_a_known_customer_is_theirs(world: World, support_mailbox: Mailbox) -> None:
    result = ingest_message(mail(sender="KEN <Ken@Example.com>"), mailbox=support_mailbox)

    assert result.ticket is not None and result.ticket.customer == world.customer
    assert Customer.objects.filter(email__iexact="ken@example.com").count() == 1


def test_the_mailboxs_topic_is_given_to_new_tickets(world: World, support_mailbox: Mailbox) -> None:
    support_mailbox.topic = world.topic
    support_mailbox.save()

    result = ingest_message(mail(), mailbox=support_mailbox)

    assert result.ticket is not None and result.ticket.topic == world.topic


def test_other_recipients_become_collaborators(world: World, support_mailbox: Mailbox) -> None:
    raw = mail(
        to="support@helpline.test, Boss <boss@example.com>",
        cc="Carol <carol@example.org>, ken@example.com, sales@helpline.test, "
        "alice.agent@example.com, helpdesk@localhost",
    )
    Mailbox.objects.create(department=world.sales, address="sales@helpline.test", protocol="pipe")

    result = ingest_message(raw, mailbox=support_mailbox)

    followers = Collaborator.objects.filter(ticket=result.ticket).values_list(
        "customer__email", flat=True
    )
    assert sorted(followers) == ["boss@example.com", "carol@example.org"]


def test_piped_mail_goes_to_the_mailbox_it_was_addressed_to(world: World) -> None:
    Mailbox.objects.create(
        department=world.support, address="support@helpline.test", protocol="pipe"
    )
    Mailbox.objects.create(department=world.sales, address="sales@helpline.test", protocol="pipe")

    to_sales = ingest_message(mail(to="Sales <SALES@helpline.test>"))
    to_nobody = ingest_message(mail(to="someone@else.example"))

    assert to_sales.ticket is not None and to_sales.ticket.department == world.sales
    assert to_nobody.ticket is not None and to_nobody.ticket.department == world.support


def test_without_any_mailbox_mail_goes_to_the_first_department(world: World) -> None:
    result = ingest_message(mail())

    assert result.ticket is not None and result.ticket.department == world.support


def test_an_html_only_mail_keeps_its_sanitized_html(world: World, support_mailbox: Mailbox) -> None:
    raw = (
        b"From: ken@example.com\r\nTo: support@helpline.test\r\nSubject: html\r\n"
        b"Message-ID: <html-only@example.com>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Hi <b>there</b><script>alert(1)</script></p>"
    )

    result = ingest_message(raw, mailbox=support_mailbox)

    assert result.ticket is not None
    assert entries(result.ticket)[0].body == "<p>Hi <b>there</b></p>"


def test_an_empty_mail_still_opens_a_ticket(world: World, support_mailbox: Mailbox) -> None:
    result = ingest_message(mail(subject="", body=""), mailbox=support_mailbox)

    assert result.ticket is not None
    assert result.ticket.subject == "(no subject)"
    assert "no text" in entries(result.ticket)[0].body


# --- threading ----------------------------------------------------------------------------


def test_a_reply_to_our_mail_joins_its_ticket_without_the_quote(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()

    result = ingest_message(reply_to(ticket), mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.REPLY and result.ticket == ticket
    entry = entries(ticket)[-1]
    assert entry.kind == EntryKind.MESSAGE and entry.customer == world.customer
    assert entry.body == "<p>Thanks, that worked.</p>"
    assert Ticket.objects.count() == 1


def test_a_reply_to_a_resolved_ticket_reopens_it(world: World, support_mailbox: Mailbox) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done</p>")

    result = ingest_message(reply_to(ticket, body="It is burning again."), mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.REPLY
    ticket.refresh_from_db()
    assert ticket.is_open and ticket.reopen_count == 1


def test_a_forged_id_does_not_thread(world: World, support_mailbox: Mailbox) -> None:
    ticket = world.open()
    forged = f"<hl.{ticket.number}.r1.00000000000000000000@helpline.test>"

    result = ingest_message(
        mail(sender="olive@example.org", subject="Hi", in_reply_to=forged), mailbox=support_mailbox
    )

    assert result.outcome == LedgerOutcome.TICKET and result.ticket != ticket


def test_the_ticket_number_in_the_subject_alone_holds_the_customers_mail_for_review(
    world: World, support_mailbox: Mailbox
) -> None:
    # A From line and a ticket number prove nothing (test_forged_replies.py): such
    # mail waits on its ticket for an agent, in both forms of the number.
    ticket = world.open()

    result = ingest_message(mail(subject=f"Re: [#{ticket.number}] more"), mailbox=support_mailbox)
    plain = ingest_message(mail(subject=f"About #{ticket.number} again"), mailbox=support_mailbox)

    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, ticket)
    assert (plain.outcome, plain.ticket) == (LedgerOutcome.NOTE, ticket)
    assert [e.kind for e in entries(ticket)] == [EntryKind.MESSAGE, EntryKind.NOTE, EntryKind.NOTE]


def test_the_ticket_number_in_the_subject_threads_an_authenticated_collaborator(
    world: World, support_mailbox: Mailbox
) -> None:
    support_mailbox.authserv_ids = "mx.helpline.test"
    support_mailbox.save()
    ticket = world.open(collaborators=[world.outsider])
    raw = mail(sender="olive@example.org", subject=f"Re: [#{ticket.number}]")

    result = ingest_message(
        b"Authentication-Results: mx.helpline.test; dmarc=pass header.from=example.org\r\n" + raw,
        mailbox=support_mailbox,
    )

    assert (result.outcome, result.ticket) == (LedgerOutcome.REPLY, ticket)
    assert entries(ticket)[-1].customer == world.outsider


def test_the_ticket_number_in_the_subject_does_not_let_a_stranger_in(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()

    result = ingest_message(
        mail(sender="olive@example.org", subject=f"Re: [#{ticket.number}] give me"),
        mailbox=support_mailbox,
    )

    # Held on the ticket for an agent (test_forged_replies.py), never posted.
    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, ticket)
    assert [e.kind for e in entries(ticket)] == [EntryKind.MESSAGE, EntryKind.NOTE]
    assert not Collaborator.objects.filter(ticket=ticket).exists()


def test_a_stranger_answering_our_mail_becomes_a_note_not_a_follower(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()

    result = ingest_message(
        reply_to(ticket, sender="Mallory <mal@example.net>"), mailbox=support_mailbox
    )

    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, ticket)
    note = entries(ticket)[-1]
    assert note.kind == EntryKind.NOTE and note.agent is None and note.customer is None
    assert "mal@example.net" in note.body and "does not follow" in note.body
    assert not Collaborator.objects.filter(ticket=ticket).exists()


# --- agents --------------------------------------------------------------------------------


def test_an_agent_answering_by_mail_replies_to_the_customer(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()

    result = ingest_message(answer_to_alert(ticket, world.agent), mailbox=support_mailbox)

    assert (result.outcome, result.ticket) == (LedgerOutcome.REPLY, ticket)
    entry = entries(ticket)[-1]
    assert (entry.kind, entry.agent, entry.source) == (EntryKind.REPLY, world.agent, "email")


def test_agents_mail_becomes_a_note_when_the_mailbox_says_so(
    world: World, support_mailbox: Mailbox
) -> None:
    support_mailbox.agent_replies_as_notes = True
    support_mailbox.save()
    ticket = world.open()

    result = ingest_message(answer_to_alert(ticket, world.agent), mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.NOTE
    entry = entries(ticket)[-1]
    assert (entry.kind, entry.agent) == (EntryKind.NOTE, world.agent)


def test_an_agents_mail_to_a_closed_ticket_is_kept_as_a_note(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = lifecycle.close(world.open(), actor=world.agent, reason="Duplicate")

    result = ingest_message(answer_to_alert(ticket, world.agent), mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.NOTE
    ticket.refresh_from_db()
    assert not ticket.is_open
    assert "ticket is closed" in entries(ticket)[-1].body


def test_an_agent_without_access_to_the_ticket_is_quarantined(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()
    # Bob was mailed about it, say, before he lost access to the department.
    result = ingest_message(answer_to_alert(ticket, world.other_agent), mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.QUARANTINED
    assert "not allowed" in result.reason
    assert len(entries(ticket)) == 1


def test_an_agents_new_mail_opens_nothing_and_is_quarantined(
    world: World, support_mailbox: Mailbox
) -> None:
    result = ingest_message(mail(sender="alice.agent@example.com"), mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.QUARANTINED
    assert "agents do not open tickets by mail" in result.reason
    assert not Ticket.objects.exists()


def test_an_inactive_agent_writes_like_a_customer(world: World, support_mailbox: Mailbox) -> None:
    world.agent.user.is_active = False
    world.agent.user.save()

    result = ingest_message(mail(sender="alice.agent@example.com"), mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.TICKET


def test_a_reply_to_the_customers_own_earlier_mail_joins_its_ticket(
    world: World, support_mailbox: Mailbox
) -> None:
    first = mail(cc="Carol <carol@example.org>")
    ticket = ingest_message(first, mailbox=support_mailbox).ticket
    earlier = message_id_of(first)

    more = ingest_message(
        mail(subject="Re: Printer on fire", body="Also: smoke.", in_reply_to=earlier),
        mailbox=support_mailbox,
    )
    reply_all = ingest_message(
        mail(sender="carol@example.org", subject="Re: Printer", references=earlier),
        mailbox=support_mailbox,
    )

    assert (more.outcome, more.ticket) == (LedgerOutcome.REPLY, ticket)
    assert (reply_all.outcome, reply_all.ticket) == (LedgerOutcome.REPLY, ticket)


def test_knowing_a_customers_message_id_does_not_let_a_stranger_in(
    world: World, support_mailbox: Mailbox
) -> None:
    first = mail()
    ticket = ingest_message(first, mailbox=support_mailbox).ticket

    result = ingest_message(
        mail(sender="mal@example.net", in_reply_to=message_id_of(first)), mailbox=support_mailbox
    )

    assert result.outcome == LedgerOutcome.TICKET and result.ticket != ticket


def test_mail_with_an_agents_address_on_the_customers_thread_is_not_posted_as_the_agent(
    world: World, support_mailbox: Mailbox
) -> None:
    # The customer knows the ids of mail about their own ticket and can type any
    # From line; only the agent received the alerts sent to the agent.
    ticket = world.open()

    result = ingest_message(
        reply_to(ticket, sender="alice.agent@example.com", body="Refund approved!"),
        mailbox=support_mailbox,
    )

    assert result.outcome == LedgerOutcome.NOTE
    entry = entries(ticket)[-1]
    assert (entry.kind, entry.agent) == (EntryKind.NOTE, None)
    assert "answers no mail sent to that agent" in entry.body
    assert not Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).exists()
