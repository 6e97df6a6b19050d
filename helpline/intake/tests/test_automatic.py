"""Auto-replies and bounces never open, reopen or autorespond; attachments obey the limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpline.conftest import World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import LedgerOutcome, Mailbox
from helpline.intake.tests.helpers import bounce, mail
from helpline.lib.mailids import make_message_id
from helpline.tickets import lifecycle
from helpline.tickets.models import Attachment, Entry, EntryKind, Event, Ticket


def last_entry(ticket: Ticket) -> Entry:
    return Entry.objects.filter(ticket=ticket).latest("pk")


@pytest.fixture
def closed(world: World) -> Ticket:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    return lifecycle.close(ticket, actor=world.agent, reason="Done")


AUTOMATIC = [
    {"Auto-Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"X-Autoreply": "yes"},
    {"X-Autorespond": "yes"},
]


@pytest.mark.parametrize("headers", AUTOMATIC)
def test_an_auto_reply_to_our_mail_is_a_note_and_does_not_reopen(
    world: World, support_mailbox: Mailbox, closed: Ticket, headers: dict[str, str]
) -> None:
    ours = make_message_id(closed.number, "r1")
    raw = mail(subject="Out of office", body="I am away.", in_reply_to=ours, headers=headers)
    events = Event.objects.count()

    result = ingest_message(raw, mailbox=support_mailbox)

    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, closed)
    closed.refresh_from_db()
    assert not closed.is_open and closed.reopen_count == 0
    note = last_entry(closed)
    assert note.kind == EntryKind.NOTE and note.agent is None and note.customer is None
    assert "I am away." in note.body
    assert Event.objects.count() == events + 1  # the note, nothing else
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("headers", AUTOMATIC)
def test_an_auto_reply_that_belongs_to_no_ticket_opens_nothing(
    world: World, support_mailbox: Mailbox, headers: dict[str, str]
) -> None:
    result = ingest_message(mail(headers=headers), mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.QUARANTINED
    assert "automatic" in result.reason
    assert not Ticket.objects.exists()


def test_an_auto_reply_with_the_number_in_its_subject_is_noted_on_the_ticket(
    world: World, support_mailbox: Mailbox
) -> None:
    ticket = world.open()

    result = ingest_message(
        mail(subject=f"Automatic reply: [#{ticket.number}]", headers=AUTOMATIC[0]),
        mailbox=support_mailbox,
    )

    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, ticket)


def test_auto_submitted_no_is_a_person(world: World, support_mailbox: Mailbox) -> None:
    result = ingest_message(mail(headers={"Auto-Submitted": "no"}), mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.TICKET


def test_a_bounce_of_our_mail_is_a_system_note_on_its_ticket(
    world: World, support_mailbox: Mailbox, closed: Ticket
) -> None:
    ours = mail(
        sender="support@helpline.test",
        to="nobody@example.org",
        message_id=make_message_id(closed.number, "r7"),
    )

    result = ingest_message(bounce(original=ours), mailbox=support_mailbox)

    assert (result.outcome, result.ticket) == (LedgerOutcome.NOTE, closed)
    note = last_entry(closed)
    assert note.kind == EntryKind.NOTE and note.agent is None
    assert "could not be delivered" in note.body
    assert "nobody@example.org" in note.body and "5.1.1" in note.body
    closed.refresh_from_db()
    assert not closed.is_open
    assert Ticket.objects.count() == 1


def test_a_bounce_that_names_no_ticket_is_quarantined(
    world: World, support_mailbox: Mailbox
) -> None:
    result = ingest_message(bounce(original=mail()), mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.QUARANTINED
    assert "bounce" in result.reason
    assert not Ticket.objects.exists()


# --- attachments ----------------------------------------------------------------------------


def test_attachments_within_the_limits_are_stored(
    world: World, support_mailbox: Mailbox, settings: object, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    raw = mail(
        attachments=[("log.txt", "text/plain", b"line 1\n"), ("s.png", "image/png", b"\x89PNG")]
    )

    result = ingest_message(raw, mailbox=support_mailbox)

    assert result.ticket is not None
    stored = Attachment.objects.filter(entry__ticket=result.ticket).order_by("filename")
    assert [(a.filename, a.size) for a in stored] == [("log.txt", 7), ("s.png", 4)]
    assert stored[0].file.read() == b"line 1\n"


def test_attachments_over_the_limits_are_dropped_and_listed_in_a_note(
    world: World, support_mailbox: Mailbox, settings: object, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    settings.HELPLINE_MAX_ATTACHMENT_BYTES = 100  # type: ignore[attr-defined]
    settings.HELPLINE_MAX_ATTACHMENTS = 2  # type: ignore[attr-defined]
    raw = mail(
        attachments=[
            ("virus.exe", "application/octet-stream", b"MZ"),
            ("huge.pdf", "application/pdf", b"x" * 101),
            ("a.txt", "text/plain", b"a"),
            ("b.txt", "text/plain", b"b"),
            ("c.txt", "text/plain", b"c"),
        ]
    )

    result = ingest_message(raw, mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.TICKET and result.ticket is not None
    kept = Attachment.objects.filter(entry__ticket=result.ticket).values_list("filename", flat=True)
    assert sorted(kept) == ["a.txt", "b.txt"]
    note = last_entry(result.ticket)
    assert note.kind == EntryKind.NOTE and note.agent is None
    assert "virus.exe" in note.body and "huge.pdf" in note.body and "c.txt" in note.body


def test_a_reply_with_only_an_attachment_is_accepted(
    world: World, support_mailbox: Mailbox, settings: object, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    ticket = world.open()
    raw = mail(
        subject=f"Re: [#{ticket.number}]",
        in_reply_to=make_message_id(ticket.number, "r1"),
        body="",
        attachments=[("p.png", "image/png", b"\x89")],
    )

    result = ingest_message(raw, mailbox=support_mailbox)

    assert result.outcome == LedgerOutcome.REPLY
    assert last_entry(ticket).attachments.count() == 1


def test_signatures_of_signed_mail_are_not_attachments(
    world: World, support_mailbox: Mailbox
) -> None:
    raw = mail(attachments=[("signature.asc", "application/pgp-signature", b"-----BEGIN")])

    result = ingest_message(raw, mailbox=support_mailbox)

    assert result.ticket is not None
    assert not Attachment.objects.exists()
    assert Entry.objects.filter(ticket=result.ticket).count() == 1  # no "dropped" note
