"""Fetching from a real Dovecot over IMAP and POP3: mail becomes tickets, replies
thread, automatic mail opens nothing, nothing is imported twice, and one broken
mailbox does not stop the others.

These tests commit (transaction=True): polling refuses to run inside a transaction,
because it moves mail on the server only after each import has committed.
"""

from __future__ import annotations

import poplib

import pytest
from imap_tools import MailBoxUnencrypted

from helpline.conftest import World
from helpline.intake.fetch import poll_due_mailboxes, poll_mailbox
from helpline.intake.models import LedgerOutcome, Mailbox, ProcessedMessage, QuarantinedMessage
from helpline.intake.tasks import poll_mailboxes
from helpline.intake.tests.conftest import imap_mailbox, pop3_mailbox
from helpline.intake.tests.dovecot import Account, Dovecot
from helpline.intake.tests.helpers import bounce, mail, message_id_of
from helpline.lib.mailids import make_message_id
from helpline.tickets.models import Entry, EntryKind, HeldReply, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def deliver(dovecot: Dovecot, account: Account, *messages: bytes) -> None:
    with MailBoxUnencrypted(dovecot.host, dovecot.imap_port).login(
        account.username, account.password
    ) as box:
        for raw in messages:
            box.append(raw, "INBOX", flag_set=())


def folder(dovecot: Dovecot, account: Account, name: str = "INBOX") -> list[tuple[str, ...]]:
    """The flags of each message in a folder (empty list: no messages or no folder)."""
    with MailBoxUnencrypted(dovecot.host, dovecot.imap_port).login(
        account.username, account.password, initial_folder=None
    ) as box:
        if not box.folder.exists(name):
            return []
        box.folder.set(name)
        return [m.flags for m in box.fetch(mark_seen=False, headers_only=True)]


def pop3_count(dovecot: Dovecot, account: Account) -> int:
    conn = poplib.POP3(dovecot.host, dovecot.pop3_port, timeout=10)
    conn.user(account.username)
    conn.pass_(account.password)
    count = conn.stat()[0]
    conn.quit()
    return count


# --- mail becomes tickets -------------------------------------------------------------------


def test_mail_in_an_imap_mailbox_becomes_tickets_and_is_archived(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    mailbox = imap_mailbox(world, dovecot, account)
    deliver(dovecot, account, mail(subject="First"), mail(subject="Second", sender="n@x.org"))

    result = poll_mailbox(mailbox)

    assert result.error == ""
    assert result.outcomes == {LedgerOutcome.TICKET: 2}
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["First", "Second"]
    assert folder(dovecot, account) == []
    assert len(folder(dovecot, account, "Archive")) == 2
    ledger = ProcessedMessage.objects.order_by("uid")
    assert [(r.mailbox, r.uid) for r in ledger] == [(mailbox, "1"), (mailbox, "2")]
    assert all(r.uidvalidity > 0 for r in ledger)
    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.last_success_at is not None


def test_mail_in_a_pop3_mailbox_becomes_tickets_and_is_deleted(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    mailbox = pop3_mailbox(world, dovecot, account)
    deliver(dovecot, account, mail(subject="By POP3"), mail(subject="Also by POP3"))

    result = poll_mailbox(mailbox)

    assert result.error == "" and result.outcomes == {LedgerOutcome.TICKET: 2}
    assert Ticket.objects.count() == 2
    assert pop3_count(dovecot, account) == 0
    assert ProcessedMessage.objects.filter(mailbox=mailbox, uidvalidity=0).count() == 2


def test_imap_mail_can_be_deleted_or_left_marked_read(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    deleting = imap_mailbox(world, dovecot, account, after_import="delete")
    deliver(dovecot, account, mail())
    poll_mailbox(deleting)
    assert folder(dovecot, account) == [] and folder(dovecot, account, "Archive") == []

    deleting.delete()
    marking = imap_mailbox(world, dovecot, account, after_import="seen")
    deliver(dovecot, account, mail(subject="keep me"))
    first = poll_mailbox(marking)
    again = poll_mailbox(marking)

    assert first.outcomes == {LedgerOutcome.TICKET: 1}
    assert again.outcomes == {}  # the ledger knows it
    assert [r"\Seen" in flags for flags in folder(dovecot, account)] == [True]
    assert Ticket.objects.filter(subject="keep me").count() == 1


def test_fetching_does_not_mark_mail_read_before_it_is_imported(
    world: World, dovecot: Dovecot, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    mailbox = imap_mailbox(world, dovecot, account)
    deliver(dovecot, account, mail())

    def database_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is down")

    monkeypatch.setattr("helpline.intake.fetch.ingest", database_down)
    result = poll_mailbox(mailbox)

    assert "database is down" in result.error
    assert folder(dovecot, account) == [()]  # still there, still unread
    monkeypatch.undo()
    assert poll_mailbox(mailbox).outcomes == {LedgerOutcome.TICKET: 1}


# --- threading ---------------------------------------------------------------------------------


def test_a_customers_reply_to_our_mail_threads_into_the_same_ticket(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    mailbox = imap_mailbox(world, dovecot, account)
    first = mail(subject="Printer on fire", to=account.address)
    deliver(dovecot, account, first)
    poll_mailbox(mailbox)
    ticket = Ticket.objects.get()
    # What our reply carried (notify builds it): a signed Message-ID naming the ticket.
    ours = make_message_id(ticket.number, "r1")
    reply = mail(
        subject=f"Re: [#{ticket.number}] Printer on fire",
        body="It worked, thanks.\n\nOn Monday, Helpline wrote:\n> Unplug it.",
        in_reply_to=ours,
        references=f"{message_id_of(first)} {ours}",
    )
    deliver(dovecot, account, reply)

    result = poll_mailbox(mailbox)

    assert result.outcomes == {LedgerOutcome.REPLY: 1}
    assert Ticket.objects.count() == 1
    entry = Entry.objects.filter(ticket=ticket).latest("pk")
    assert entry.kind == EntryKind.MESSAGE and entry.body == "<p>It worked, thanks.</p>"


def test_the_ticket_number_in_the_subject_alone_only_holds_mail_for_review(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    # From the customer's address or a stranger's: a From line and a ticket number
    # prove nothing, so both wait on the ticket for an agent (test_forged_replies.py).
    mailbox = imap_mailbox(world, dovecot, account)
    ticket = world.open()
    deliver(
        dovecot,
        account,
        mail(subject=f"Re: [#{ticket.number}] more info"),
        mail(sender="mallory@example.net", subject=f"Re: [#{ticket.number}] let me in"),
    )

    result = poll_mailbox(mailbox)

    assert result.outcomes == {LedgerOutcome.NOTE: 2}
    assert Ticket.objects.count() == 1
    kinds = Entry.objects.filter(ticket=ticket).values_list("kind", flat=True)
    assert list(kinds) == [EntryKind.MESSAGE, EntryKind.NOTE, EntryKind.NOTE]
    held = HeldReply.objects.filter(ticket=ticket).order_by("pk")
    assert [h.reasons for h in held] == [["no_token"], ["stranger"]]


def test_an_auto_reply_and_a_bounce_open_nothing(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    mailbox = imap_mailbox(world, dovecot, account)
    ticket = world.open()
    ours = mail(sender=account.address, message_id=make_message_id(ticket.number, "r2"))
    deliver(
        dovecot,
        account,
        mail(subject="Out of office", in_reply_to=make_message_id(ticket.number, "r1"),
             headers={"Auto-Submitted": "auto-replied"}),
        bounce(original=ours),
        mail(subject="Newsletter", headers={"Precedence": "bulk"}),
    )  # fmt: skip

    result = poll_mailbox(mailbox)

    assert result.outcomes == {LedgerOutcome.NOTE: 2, LedgerOutcome.QUARANTINED: 1}
    assert Ticket.objects.count() == 1
    notes = Entry.objects.filter(ticket=ticket, kind=EntryKind.NOTE).order_by("pk")
    assert ["Automatic reply" in n.body for n in notes] == [True, False]
    assert "could not be delivered" in notes[1].body
    assert QuarantinedMessage.objects.get().subject == "Newsletter"


def test_the_same_message_fetched_twice_is_stored_once(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    mailbox = imap_mailbox(world, dovecot, account)
    raw = mail()
    deliver(dovecot, account, raw, raw)

    result = poll_mailbox(mailbox)

    assert result.outcomes == {LedgerOutcome.TICKET: 1, LedgerOutcome.DUPLICATE: 1}
    assert Ticket.objects.count() == 1
    assert folder(dovecot, account) == []
    deliver(dovecot, account, raw)
    assert poll_mailbox(mailbox).outcomes == {LedgerOutcome.DUPLICATE: 1}
    assert Ticket.objects.count() == 1


# --- several mailboxes ---------------------------------------------------------------------


def test_a_broken_mailbox_records_its_error_and_the_next_is_still_polled(
    world: World, dovecot: Dovecot
) -> None:
    wrong, down, good = dovecot.add_user(), dovecot.add_user(), dovecot.add_user()
    bad_password = imap_mailbox(world, dovecot, wrong)
    bad_password.set_password("not the password")
    bad_password.save()
    unreachable = imap_mailbox(world, dovecot, down, port=1)
    working = pop3_mailbox(world, dovecot, good)
    deliver(dovecot, good, mail())

    results = poll_due_mailboxes()

    assert [r.mailbox for r in results] == [bad_password, unreachable, working]
    bad_password.refresh_from_db()
    unreachable.refresh_from_db()
    working.refresh_from_db()
    assert bad_password.last_error.startswith(f"Login as {wrong.username} failed")
    assert bad_password.last_error_at is not None
    assert unreachable.last_error.startswith(f"Cannot reach {dovecot.host}:1")
    assert working.last_error == ""
    assert Ticket.objects.count() == 1


def test_each_mailbox_is_polled_on_its_own_interval(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    mailbox = imap_mailbox(world, dovecot, account, poll_interval=300)
    Mailbox.objects.create(department=world.support, address="pipe@x.test", protocol="pipe")
    inactive = imap_mailbox(world, dovecot, dovecot.add_user(), is_active=False)

    first = poll_due_mailboxes()
    second = poll_due_mailboxes()

    assert [r.mailbox for r in first] == [mailbox]
    assert second == []
    inactive.refresh_from_db()
    assert inactive.last_polled_at is None


def test_the_worker_job_polls_due_mailboxes(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    imap_mailbox(world, dovecot, account)
    deliver(dovecot, account, mail())

    assert poll_mailboxes.call() == 1
    assert Ticket.objects.count() == 1


def test_polling_refuses_to_run_inside_a_transaction(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    from django.db import transaction

    mailbox = imap_mailbox(world, dovecot, account)
    with transaction.atomic(), pytest.raises(RuntimeError, match="inside a transaction"):
        poll_mailbox(mailbox)


def test_administrators_can_poll_a_mailbox_from_the_admin(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    from django.test import Client
    from django.urls import reverse

    mailbox = imap_mailbox(world, dovecot, account)
    deliver(dovecot, account, mail())
    client = Client()
    client.force_login(world.admin.user)

    response = client.post(
        reverse("admin:intake_mailbox_changelist"),
        {"action": "poll_now", "_selected_action": [mailbox.pk]},
        follow=True,
    )

    assert "1 message imported (New ticket: 1)" in response.content.decode()
    assert Ticket.objects.count() == 1


def test_the_worker_can_queue_the_polling_job_by_its_dotted_path(db: None) -> None:
    from django.utils.module_loading import import_string

    task = import_string("helpline.intake.tasks.poll_mailboxes")
    result = task.enqueue()

    assert result.task.name == "poll_mailboxes"
