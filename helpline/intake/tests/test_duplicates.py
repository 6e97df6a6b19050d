"""Loops, duplicates and messages that cannot be placed: nothing is stored twice,
nothing of ours is answered, nothing is lost."""

from __future__ import annotations

import pytest

from helpline.conftest import World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import LedgerOutcome, Mailbox, ProcessedMessage, QuarantinedMessage
from helpline.intake.tests.helpers import mail
from helpline.lib.mailids import make_message_id
from helpline.tickets.models import Entry, Ticket


def test_our_own_mail_coming_back_is_ignored(world: World, support_mailbox: Mailbox) -> None:
    ticket = world.open()
    looped = mail(message_id=make_message_id(ticket.number, "r9"), sender="ken@example.com")
    from_us = mail(sender="Helpline <support@helpline.test>")

    results = [ingest_message(r, mailbox=support_mailbox) for r in (looped, from_us)]

    assert [r.outcome for r in results] == [LedgerOutcome.IGNORED, LedgerOutcome.IGNORED]
    assert Ticket.objects.count() == 1 and Entry.objects.filter(ticket=ticket).count() == 1


def test_the_same_message_twice_is_stored_once(world: World, support_mailbox: Mailbox) -> None:
    raw = mail()

    first = ingest_message(raw, mailbox=support_mailbox)
    second = ingest_message(raw, mailbox=support_mailbox)
    by_pipe = ingest_message(raw)

    assert first.outcome == LedgerOutcome.TICKET
    assert (second.outcome, second.ticket) == (LedgerOutcome.DUPLICATE, first.ticket)
    assert by_pipe.outcome == LedgerOutcome.DUPLICATE
    assert Ticket.objects.count() == 1


def test_a_message_without_message_id_is_recognised_by_its_content(
    world: World, support_mailbox: Mailbox
) -> None:
    raw = b"From: ken@example.com\r\nSubject: no id\r\n\r\nbody\r\n"

    outcomes = [ingest_message(raw, mailbox=support_mailbox).outcome for _ in range(2)]

    assert outcomes == [LedgerOutcome.TICKET, LedgerOutcome.DUPLICATE]
    assert ProcessedMessage.objects.first().message_id.startswith("sha256:")  # type: ignore[union-attr]


def test_a_message_without_sender_is_quarantined_whole(
    world: World, support_mailbox: Mailbox
) -> None:
    raw = b"Subject: who am I\r\nMessage-ID: <anon@x>\r\n\r\nbody\r\n"

    result = ingest_message(raw, mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.QUARANTINED
    quarantined = QuarantinedMessage.objects.get()
    assert bytes(quarantined.raw) == raw
    assert "no sender" in quarantined.reason
    assert quarantined.mailbox == support_mailbox
    assert quarantined.state == QuarantinedMessage.State.PENDING
    assert ProcessedMessage.objects.get().quarantined == quarantined


@pytest.mark.django_db
def test_with_no_department_at_all_mail_is_quarantined() -> None:
    result = ingest_message(mail())

    assert result.outcome == LedgerOutcome.QUARANTINED
    assert "No department" in result.reason


def test_a_message_stored_by_another_process_at_the_same_moment_is_a_duplicate(
    world: World, support_mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpline.intake import ingest

    raw = mail()
    first = ingest_message(raw, mailbox=support_mailbox)
    look_up = ingest._earlier
    calls: list[object] = []

    def too_early(*args: object) -> object:
        """The first look finds nothing: the other process had not committed yet."""
        calls.append(args)
        if len(calls) == 1:
            return None, look_up(*args)[1]  # type: ignore[arg-type]
        return look_up(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "_earlier", too_early)
    second = ingest_message(raw, mailbox=support_mailbox)

    assert (second.outcome, second.ticket) == (LedgerOutcome.DUPLICATE, first.ticket)
    assert Ticket.objects.count() == 1  # the second ticket was rolled back with its row
    assert ProcessedMessage.objects.count() == 1


def test_a_different_message_reusing_a_message_id_is_not_dropped(
    world: World, support_mailbox: Mailbox
) -> None:
    alert = mail(message_id="<alert@monitoring.example>", subject="Disk full on db1")
    other = mail(message_id="<alert@monitoring.example>", subject="Disk full on web2")

    results = [ingest_message(r, mailbox=support_mailbox) for r in (alert, other, other, alert)]

    assert [r.outcome for r in results] == ["ticket", "ticket", "duplicate", "duplicate"]
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Disk full on db1",
        "Disk full on web2",
    ]


def test_notify_knows_our_mailboxes_as_our_own_addresses(world: World) -> None:
    from helpline.notify.addresses import is_own_address

    Mailbox.objects.create(department=world.support, address="Help@Helpline.test", protocol="pipe")

    assert is_own_address("Helpline <help@helpline.test>")
    assert not is_own_address("ken@example.com")
