"""Forged customer replies (issue 9): a mail is posted as a customer's reply only when
it proves it answers our mail (a reply token of ours issued to somebody on the
ticket) or our receiving server authenticated the sender; otherwise it is held as
a note for an agent. Real messages through the real intake path (`ingest_message`)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from helpline.accounts.models import Customer
from helpline.conftest import World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import LedgerOutcome, Mailbox
from helpline.intake.tests.helpers import mail, message_id_of
from helpline.intake.tests.test_ingest import entries, reply_to
from helpline.lib.mailids import make_message_id, make_reply_token
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets import lifecycle
from helpline.tickets.models import (
    Collaborator,
    EntryKind,
    EventKind,
    HeldReply,
    State,
    Ticket,
)

OUR_SERVER = "mx.helpline.test"


def received(raw: bytes, *results: str) -> bytes:
    """`raw` as our receiving server hands it on: its Authentication-Results on top
    (the first of `results` is the topmost, i.e. the last one added)."""
    added = "".join(f"Authentication-Results: {r}\r\n" for r in results)
    return added.encode() + raw


@pytest.fixture
def our_server(support_mailbox: Mailbox) -> str:
    """support@ is received by OUR_SERVER, which adds its header to every mail."""
    support_mailbox.authserv_ids = OUR_SERVER
    support_mailbox.save()
    return OUR_SERVER


def resolved(world: World) -> Ticket:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    return lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done</p>")


def unchanged(ticket: Ticket) -> None:
    """The ticket is as it was: still resolved, not reopened, no customer message."""
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.state == State.CLOSED and fresh.reopen_count == 0
    assert fresh.status_id == ticket.status_id
    assert [e.kind for e in entries(ticket)].count(EntryKind.MESSAGE) == 1  # the first one


def held_on(ticket: Ticket) -> HeldReply:
    held = HeldReply.objects.get(ticket=ticket)
    assert held.state == HeldReply.State.HELD
    assert held.note.kind == EntryKind.NOTE and held.note.customer is None
    assert "Held for review" in held.note.body
    return held


def mail_to(address: str) -> int:
    fan_out_pending()
    return sum(address in " ".join(m.to) for m in OutboundMessage.objects.all())


# --- forged subject-only replies --------------------------------------------------------


def test_a_forged_subject_only_reply_in_the_customers_name_is_held_not_posted(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = resolved(world)
    fan_out_pending()
    mails_before = OutboundMessage.objects.count()

    result = ingest_message(
        mail(subject=f"Re: [#{ticket.number}] Printer on fire", body="Close my account."),
        mailbox=support_mailbox,
    )

    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, ticket)
    assert "Held" in result.reason
    unchanged(ticket)
    held = held_on(ticket)
    assert held.reasons == [HeldReply.Reason.NO_TOKEN]
    assert (held.sender_email, held.customer) == ("ken@example.com", world.customer)
    assert "ken@example.com" in held.note.body and "Close my account." in held.note.body
    assert held.body == "<p>Close my account.</p>"
    # Nobody is told anything: no mail to the address the forger named, no alert.
    fan_out_pending()
    assert OutboundMessage.objects.count() == mails_before
    assert Ticket.objects.get(pk=ticket.pk).events.filter(kind=EventKind.HELD).count() == 1


def test_a_stranger_naming_a_ticket_by_our_subject_tag_is_held_on_it(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = resolved(world)
    customers = Customer.objects.count()

    result = ingest_message(
        mail(sender="Mallory <mal@example.net>", subject=f"Re: [#{ticket.number}] give me"),
        mailbox=support_mailbox,
    )

    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, ticket)
    unchanged(ticket)
    held = held_on(ticket)
    assert held.reasons == [HeldReply.Reason.STRANGER]
    assert held.customer is None and held.sender_name == "Mallory"
    assert Ticket.objects.count() == 1  # no ticket of their own either
    assert Customer.objects.count() == customers
    assert not Collaborator.objects.filter(ticket=ticket).exists()
    assert mail_to("mal@example.net") == 0


def test_a_strangers_own_number_without_our_tag_still_opens_a_new_ticket(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()

    result = ingest_message(
        mail(sender="new@example.net", subject=f"Invoice #{ticket.number} is wrong"),
        mailbox=support_mailbox,
    )

    assert result.outcome == LedgerOutcome.TICKET and result.ticket != ticket
    assert not HeldReply.objects.exists()


def test_a_collaborator_without_a_token_is_held_too(world: World, support_mailbox: Mailbox) -> None:
    ticket = world.open(collaborators=[world.outsider])

    result = ingest_message(
        mail(sender="olive@example.org", subject=f"Re: [#{ticket.number}]"), mailbox=support_mailbox
    )

    assert result.outcome == LedgerOutcome.NOTE
    held = held_on(ticket)
    assert (held.customer, held.reasons) == (world.outsider, [HeldReply.Reason.NO_TOKEN])


def test_an_automatic_reply_from_a_stranger_naming_our_tag_is_not_held(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()

    result = ingest_message(
        mail(
            sender="bot@example.net",
            subject=f"Out of office: [#{ticket.number}]",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        mailbox=support_mailbox,
    )

    assert result.outcome == LedgerOutcome.QUARANTINED
    assert not HeldReply.objects.exists()


# --- the customer's own address and Authentication-Results --------------------------------


def test_the_customer_without_a_token_is_trusted_when_our_server_authenticated_them(
    world: World, support_mailbox: Mailbox, our_server: str
) -> None:
    ticket = resolved(world)
    raw = received(
        mail(subject=f"Re: [#{ticket.number}] Printer on fire", body="It burns again."),
        f"{our_server}; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com "
        "header.s=s1; dmarc=pass (p=REJECT) header.from=example.com",
    )

    result = ingest_message(raw, mailbox=support_mailbox)

    assert (result.outcome, result.ticket) == (LedgerOutcome.REPLY, ticket)
    assert Ticket.objects.get(pk=ticket.pk).reopen_count == 1
    assert not HeldReply.objects.exists()


def test_an_aligned_dkim_signature_authenticates_a_domain_without_dmarc(
    world: World, support_mailbox: Mailbox, our_server: str
) -> None:
    ticket = world.open()
    raw = received(
        mail(sender="ken@mail.example.com", subject=f"Re: [#{ticket.number}]"),
        f"{our_server}; dkim=pass header.d=example.com; dmarc=none header.from=mail.example.com",
    )
    Customer.objects.filter(pk=world.customer.pk).update(email="ken@mail.example.com")

    assert ingest_message(raw, mailbox=support_mailbox).outcome == LedgerOutcome.REPLY


def test_a_dkim_signature_of_another_domain_authenticates_nobody(
    world: World, support_mailbox: Mailbox, our_server: str
) -> None:
    ticket = world.open()
    raw = received(
        mail(subject=f"Re: [#{ticket.number}]"),
        f"{our_server}; dkim=pass header.d=attacker.example; dmarc=none header.from=example.com",
    )

    assert ingest_message(raw, mailbox=support_mailbox).outcome == LedgerOutcome.NOTE
    assert held_on(ticket).reasons == [HeldReply.Reason.NO_TOKEN]


def test_a_dmarc_failure_holds_even_a_reply_that_carries_our_token(
    world: World, support_mailbox: Mailbox, our_server: str
) -> None:
    ticket = resolved(world)
    raw = received(
        reply_to(ticket, body="Refund me."),
        f"{our_server}; spf=fail smtp.mailfrom=example.com; dkim=none; "
        "dmarc=fail (p=REJECT) header.from=example.com",
    )

    result = ingest_message(raw, mailbox=support_mailbox)

    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, ticket)
    unchanged(ticket)
    held = held_on(ticket)
    assert held.reasons == [HeldReply.Reason.AUTH_FAILED]
    assert "dmarc=fail" in held.detail and our_server in held.detail


@pytest.mark.parametrize(
    "results",
    [
        "spf=fail smtp.mailfrom=example.com",
        "spf=pass; dkim=fail header.d=example.com",
    ],
)
def test_an_spf_or_dkim_failure_without_any_pass_holds_the_reply(
    world: World, support_mailbox: Mailbox, our_server: str, results: str
) -> None:
    ticket = world.open()

    result = ingest_message(
        received(reply_to(ticket), f"{our_server}; {results}"), mailbox=support_mailbox
    )

    assert result.outcome == LedgerOutcome.NOTE
    assert held_on(ticket).reasons == [HeldReply.Reason.AUTH_FAILED]


def test_an_spf_failure_of_forwarded_mail_with_a_dmarc_pass_is_no_failure(
    world: World, support_mailbox: Mailbox, our_server: str
) -> None:
    ticket = world.open()
    raw = received(
        reply_to(ticket),
        f"{our_server}; spf=fail smtp.mailfrom=example.com; dkim=pass header.d=example.com; "
        "dmarc=pass header.from=example.com",
    )

    assert ingest_message(raw, mailbox=support_mailbox).outcome == LedgerOutcome.REPLY


def test_a_forged_pass_below_our_servers_header_proves_nothing(
    world: World, support_mailbox: Mailbox, our_server: str
) -> None:
    ticket = world.open()
    # The forger wrote a pass "from our server" into the mail; ours sits above it.
    forged = received(
        mail(subject=f"Re: [#{ticket.number}]"), f"{our_server}; dmarc=pass header.from=example.com"
    )
    raw = received(forged, f"{our_server}; spf=none; dkim=none; dmarc=none header.from=example.com")

    assert ingest_message(raw, mailbox=support_mailbox).outcome == LedgerOutcome.NOTE
    assert held_on(ticket).reasons == [HeldReply.Reason.NO_TOKEN]


def test_a_failure_recorded_by_a_second_header_of_our_server_counts(
    world: World, support_mailbox: Mailbox, our_server: str
) -> None:
    # Separate milters (OpenDKIM, then OpenDMARC) each add a header of their own.
    ticket = world.open()
    raw = received(
        reply_to(ticket),
        f"{our_server}; dmarc=fail header.from=example.com",
        f"{our_server}; dkim=fail header.d=example.com",
    )

    assert ingest_message(raw, mailbox=support_mailbox).outcome == LedgerOutcome.NOTE
    assert held_on(ticket).reasons == [HeldReply.Reason.AUTH_FAILED]


def test_headers_of_a_server_we_did_not_name_are_ignored(
    world: World, support_mailbox: Mailbox, our_server: str
) -> None:
    ticket = world.open()
    # A failure recorded by somebody else's server does not hold a genuine reply...
    genuine = received(reply_to(ticket), "mx.elsewhere.example; dmarc=fail header.from=example.com")
    # ...and a pass from it (or a header naming no server at all) vouches for nobody.
    forged = received(
        mail(subject=f"Re: [#{ticket.number}]"),
        "mx.elsewhere.example; dmarc=pass header.from=example.com",
    )
    anonymous = received(
        mail(subject=f"Re: [#{ticket.number}] again"), "dmarc=pass header.from=example.com"
    )

    assert ingest_message(genuine, mailbox=support_mailbox).outcome == LedgerOutcome.REPLY
    assert ingest_message(forged, mailbox=support_mailbox).outcome == LedgerOutcome.NOTE
    assert ingest_message(anonymous, mailbox=support_mailbox).outcome == LedgerOutcome.NOTE
    assert HeldReply.objects.filter(ticket=ticket).count() == 2


def test_without_a_configured_server_no_authentication_header_is_believed(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()
    genuine = received(reply_to(ticket), f"{OUR_SERVER}; dmarc=fail header.from=example.com")
    forged = received(
        mail(subject=f"Re: [#{ticket.number}]"), f"{OUR_SERVER}; dmarc=pass header.from=example.com"
    )

    assert ingest_message(genuine, mailbox=support_mailbox).outcome == LedgerOutcome.REPLY
    assert ingest_message(forged, mailbox=support_mailbox).outcome == LedgerOutcome.NOTE


# --- tokens --------------------------------------------------------------------------------


def test_a_reply_carrying_our_id_sent_to_the_customer_is_trusted(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = resolved(world)
    fan_out_pending()
    sent = OutboundMessage.objects.get(ticket=ticket, kind=MailKind.RESOLVED)
    assert sent.to == ["Ken Adams <ken@example.com>"]

    result = ingest_message(
        mail(subject="Re: your ticket", in_reply_to=sent.message_id, body="Thanks!"),
        mailbox=support_mailbox,
    )

    assert (result.outcome, result.ticket) == (LedgerOutcome.REPLY, ticket)
    assert Ticket.objects.get(pk=ticket.pk).reopen_count == 1


def test_an_id_of_mail_sent_to_an_agent_does_not_vouch_for_the_customer(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()
    alert = OutboundMessage.objects.create(
        ticket=ticket,
        kind=MailKind.NEW_TICKET_ALERT,
        from_email="helpdesk@localhost",
        to=["Alice <alice.agent@example.com>"],
        subject="New ticket",
        text="A new ticket.",
        message_id=make_message_id(ticket.number, "n1"),
        created_at=timezone.now(),
    )

    result = ingest_message(
        mail(subject="Re: New ticket", in_reply_to=alert.message_id), mailbox=support_mailbox
    )

    assert result.outcome == LedgerOutcome.NOTE
    held = held_on(ticket)
    assert held.reasons == [HeldReply.Reason.NO_TOKEN]
    assert "alice.agent@example.com" in held.detail


def test_our_id_sent_to_a_collaborator_vouches_while_they_are_on_the_ticket(
    world: World, support_mailbox: Mailbox
) -> None:
    # The customer answers all on a mail their colleague forwarded: the thread is
    # the ticket's own. Once the colleague is off the ticket, their ids lapse.
    ticket = world.open(collaborators=[world.outsider])
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Unplug it.</p>")
    fan_out_pending()
    replies = OutboundMessage.objects.filter(ticket=ticket, kind=MailKind.REPLY)
    to_olive = next(m for m in replies if "olive@example.org" in m.to[0])

    first = ingest_message(
        mail(subject="Re: x", in_reply_to=to_olive.message_id), mailbox=support_mailbox
    )
    Collaborator.objects.filter(ticket=ticket).delete()
    later = ingest_message(
        mail(subject="Re: x", in_reply_to=to_olive.message_id, body="More."),
        mailbox=support_mailbox,
    )

    assert first.outcome == LedgerOutcome.REPLY
    assert later.outcome == LedgerOutcome.NOTE
    assert "olive@example.org" in held_on(ticket).detail


def test_a_reply_to_our_reply_address_is_trusted_without_any_thread_headers(
    world: World, support_mailbox: Mailbox
) -> None:
    # A new mail client keeps only the address it was told to reply to.
    ticket = resolved(world)
    token = make_reply_token(ticket.number, "ken@example.com")

    result = ingest_message(
        mail(to=f"support+{token}@helpline.test", subject="Re: Printer", body="Burning again"),
        mailbox=support_mailbox,
    )

    assert (result.outcome, result.ticket) == (LedgerOutcome.REPLY, ticket)
    assert Ticket.objects.get(pk=ticket.pk).reopen_count == 1


def test_a_reply_address_token_is_bound_to_its_ticket_and_person(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()
    forged = f"t.{ticket.number}.{'0' * 20}"
    olives = make_reply_token(ticket.number, "olive@example.org")  # Olive is not on it

    results = [
        ingest_message(
            mail(to=f"support+{token}@helpline.test", subject=subject), mailbox=support_mailbox
        )
        for token, subject in [
            (forged, f"Re: [#{ticket.number}]"),
            (olives, f"Re: [#{ticket.number}] again"),
        ]
    ]

    assert [r.outcome for r in results] == [LedgerOutcome.NOTE, LedgerOutcome.NOTE]
    assert [h.reasons for h in HeldReply.objects.filter(ticket=ticket)] == [
        [HeldReply.Reason.NO_TOKEN],
        [HeldReply.Reason.NO_TOKEN],
    ]


def test_an_earlier_message_of_the_thread_still_vouches(
    world: World, support_mailbox: Mailbox
) -> None:
    first = mail(cc="Carol <carol@example.org>")
    ticket = ingest_message(first, mailbox=support_mailbox).ticket
    assert ticket is not None

    more = ingest_message(
        mail(subject="Re: Printer on fire", body="Also: smoke.", in_reply_to=message_id_of(first)),
        mailbox=support_mailbox,
    )

    assert (more.outcome, more.ticket) == (LedgerOutcome.REPLY, ticket)


def test_a_forgers_own_held_mail_does_not_vouch_for_the_forgers_next_mail(
    world: World, support_mailbox: Mailbox
) -> None:
    """The ledger keeps every message id, held mail's too, and the sender chose each
    one: the first forgery is held, and the second, "answering" it, must be held as
    well, not posted as Ken's reply (it would reopen the ticket)."""
    ticket = resolved(world)
    first = mail(
        subject=f"Re: [#{ticket.number}] Printer on fire", message_id="<forger-1@evil.example>"
    )
    assert ingest_message(first, mailbox=support_mailbox).outcome == LedgerOutcome.NOTE

    second = ingest_message(
        mail(
            subject="Re: Printer on fire",
            body="Please close my account and send the data to evil@example.net.",
            in_reply_to=message_id_of(first),
        ),
        mailbox=support_mailbox,
    )

    assert (second.outcome, second.ticket) == (LedgerOutcome.NOTE, ticket)
    unchanged(ticket)
    assert [h.reasons for h in HeldReply.objects.order_by("pk")] == [
        [HeldReply.Reason.NO_TOKEN],
        [HeldReply.Reason.NO_TOKEN],
    ]


def test_a_strangers_note_on_the_thread_does_not_vouch_for_mail_in_the_customers_name(
    world: World, support_mailbox: Mailbox
) -> None:
    """Mallory answers our mail (a genuine id of ours): a note from a non-party,
    whose Message-ID she chose. Mail in Ken's name answering her note is held."""
    ticket = resolved(world)
    ours = make_message_id(ticket.number, "r1")
    noted = mail(sender="mal@example.net", subject="Re: hi", in_reply_to=ours)
    assert ingest_message(noted, mailbox=support_mailbox).outcome == LedgerOutcome.NOTE
    assert not HeldReply.objects.exists()  # a plain note: she found it by our id

    result = ingest_message(
        mail(subject="Re: hi", body="Refund me.", in_reply_to=message_id_of(noted)),
        mailbox=support_mailbox,
    )

    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, ticket)
    unchanged(ticket)
    assert held_on(ticket).reasons == [HeldReply.Reason.NO_TOKEN]


def test_a_reply_that_was_posted_vouches_for_the_next_mail_of_its_thread(
    world: World, support_mailbox: Mailbox
) -> None:
    """Ken's verified reply (it carried our id) is in the ledger as a reply; his
    next mail, answering his own reply, is his too."""
    ticket = world.open()
    verified = reply_to(ticket)
    assert ingest_message(verified, mailbox=support_mailbox).outcome == LedgerOutcome.REPLY

    more = ingest_message(
        mail(subject="Re: Re", body="One more thing.", in_reply_to=message_id_of(verified)),
        mailbox=support_mailbox,
    )

    assert (more.outcome, more.ticket) == (LedgerOutcome.REPLY, ticket)


# --- whose Authentication-Results ----------------------------------------------------------


def test_a_mailbox_believes_only_the_servers_it_names(
    world: World, support_mailbox: Mailbox, our_server: str
) -> None:
    """The same mail with our server's pass on top: posted when it came through the
    mailbox that names the server; held when it came through a mailbox that names
    none, or through a pipe that named no mailbox (the road is unknown), or the
    API (whose client writes every header itself)."""
    sales = Mailbox.objects.create(
        department=world.support, address="sales@helpline.test", protocol=Mailbox.Protocol.PIPE
    )
    ticket = world.open()

    def claimed(n: int) -> bytes:
        return received(
            mail(subject=f"Re: [#{ticket.number}] try {n}"),
            f"{our_server}; dmarc=pass header.from=example.com",
        )

    through_support = ingest_message(claimed(1), mailbox=support_mailbox)
    through_sales = ingest_message(claimed(2), mailbox=sales)
    through_a_bare_pipe = ingest_message(claimed(3))
    through_the_api = ingest_message(claimed(4), mailbox=support_mailbox, channel="api")

    assert through_support.outcome == LedgerOutcome.REPLY
    assert [through_sales.outcome, through_a_bare_pipe.outcome, through_the_api.outcome] == [
        LedgerOutcome.NOTE
    ] * 3
    assert HeldReply.objects.filter(ticket=ticket).count() == 3


def test_a_recorded_failure_is_read_only_where_the_server_is_named_too(
    world: World, support_mailbox: Mailbox
) -> None:
    """A header claiming our server is just text where the mailbox names none: its
    failure holds nothing either (a forged failure would only hurt its forger)."""
    ticket = world.open()
    raw = received(reply_to(ticket), f"{OUR_SERVER}; dmarc=fail header.from=example.com")

    assert ingest_message(raw, mailbox=support_mailbox).outcome == LedgerOutcome.REPLY


def test_a_mailbox_refuses_server_names_that_are_not_names(world: World) -> None:
    from django.core.exceptions import ValidationError

    box = Mailbox(
        department=world.support,
        address="x@helpline.test",
        protocol=Mailbox.Protocol.PIPE,
        authserv_ids="mx.helpline.test, mx2.helpline.test",
    )
    box.full_clean()
    assert box.trusted_servers() == ["mx.helpline.test", "mx2.helpline.test"]
    for bad in ["mx.helpline.test; dmarc=pass", "(comment)", ", ".join(["a"] * 11)]:
        box.authserv_ids = bad
        with pytest.raises(ValidationError):
            box.full_clean()


# --- plus addresses are ours ----------------------------------------------------------------


def test_our_reply_address_never_becomes_a_collaborator_or_a_new_sender(
    world: World, support_mailbox: Mailbox
) -> None:
    tagged = "support+t.123456.aaaaaaaaaaaaaaaaaaaa@helpline.test"

    opened = ingest_message(mail(sender="new@example.net", cc=tagged), mailbox=support_mailbox)
    looped = ingest_message(mail(sender=tagged, subject="Loop"), mailbox=support_mailbox)
    routed = ingest_message(mail(sender="n2@example.net", to=tagged, subject="Routed"))

    assert opened.outcome == LedgerOutcome.TICKET
    assert not Collaborator.objects.filter(ticket=opened.ticket).exists()
    assert looped.outcome == LedgerOutcome.IGNORED
    assert routed.ticket is not None and routed.ticket.department == support_mailbox.department
