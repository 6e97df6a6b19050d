"""Hostile mail (issue 9): bodies beyond the bounds are read in linear time, kept
whole as an attachment and never parsed inside the write transaction; MIME nested
beyond the bounds is quarantined with its reason, not bounced."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from email import policy
from email.policy import Policy
from typing import Any

import nh3
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.conftest import World
from helpline.intake.ingest import ingest_message, retry_quarantined
from helpline.intake.mime import (
    MAX_MIME_DEPTH,
    MAX_MIME_PARTS,
    MimeBoundsExceeded,
    check_mime,
    parse_bounded,
)
from helpline.intake.models import LedgerOutcome, Mailbox, QuarantinedMessage
from helpline.intake.parse import (
    MAX_HEADER_BYTES,
    ORIGINAL_FILENAME,
    check_header_size,
    parse_message,
)
from helpline.intake.placement import MAX_COLLABORATORS
from helpline.intake.tests.helpers import mail
from helpline.lib.html import ALLOWED_TAGS, MAX_BODY_CHARS
from helpline.notify.models import OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets.models import Attachment, Entry

NESTED_HTML = "<div>" * 40_000 + "The printer is on fire." + "</div>" * 40_000  # 440 KB


def nested_multiparts(depth: int, *, eol: bytes = b"\r\n", prefix: bytes = b"") -> bytes:
    """A message whose multiparts nest `depth` deep (5,000: 350 KB), its lines ended
    by `eol`, each boundary starting with `prefix`."""
    head = (
        b"From: Ken Adams <ken@example.com>\r\nTo: support@helpline.test\r\nSubject: Deep\r\n"
        b"Message-ID: <deep%d@mail.example.com>\r\nMIME-Version: 1.0\r\n" % depth
    ).replace(b"\r\n", eol)
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="%slevel%d"%s%s--%slevel%d%s'
        % (prefix, i, eol, eol, prefix, i, eol)
        for i in range(depth)
    )
    closing = b"".join(b"%s--%slevel%d--%s" % (eol, prefix, i, eol) for i in reversed(range(depth)))
    bottom = b"Content-Type: text/plain" + eol + eol + b"Hello from the bottom."
    return head + opening + bottom + closing


def many_parts(parts: int, *, eol: bytes = b"\r\n", boundary: bytes = b"part") -> bytes:
    """A message of `parts` text parts side by side in one multipart."""
    head = (
        b"From: Ken Adams <ken@example.com>\r\nTo: support@helpline.test\r\nSubject: Many\r\n"
        b"Message-ID: <many%d@mail.example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="%s"\r\n\r\n' % (parts, boundary)
    ).replace(b"\r\n", eol)
    part = b"--%s%sContent-Type: text/plain%s%sHello.%s" % (boundary, eol, eol, eol, eol)
    return head + part * parts + b"--%s--%s" % (boundary, eol)


def original(entry: Entry) -> bytes:
    return Attachment.objects.get(entry=entry, filename=ORIGINAL_FILENAME).file.read()


# --- HTML beyond the bounds ---------------------------------------------------------------


def test_a_mail_of_forty_thousand_nested_divs_is_filed_in_well_under_a_second(
    world: World, support_mailbox: Mailbox
) -> None:
    raw = mail(body="The printer is on fire (text part).", html=NESTED_HTML)

    started = time.thread_time()  # CPU time: what other engineers' load does not change
    result = ingest_message(raw)
    seconds = time.thread_time() - started

    assert result.outcome == LedgerOutcome.TICKET
    entry = Entry.objects.get(ticket=result.ticket)
    assert "The printer is on fire (text part)." in entry.body
    assert "40,000 tags" in entry.body and ORIGINAL_FILENAME in entry.body
    assert original(entry) == raw
    assert seconds < 1.0, seconds


def test_without_a_text_part_the_html_text_is_shown_tags_stripped(
    world: World, support_mailbox: Mailbox
) -> None:
    raw = mail(body="", html=NESTED_HTML)
    parsed = parse_message(raw)
    assert parsed.html == ""
    assert "The printer is on fire." in parsed.text

    result = ingest_message(raw)

    entry = Entry.objects.get(ticket=result.ticket)
    assert "The printer is on fire." in entry.body
    assert original(entry) == raw


def test_the_original_is_kept_even_where_attachments_of_its_type_are_refused(
    world: World, support_mailbox: Mailbox, settings: Any
) -> None:
    settings.HELPLINE_ATTACHMENT_EXTENSIONS = [".png"]
    settings.HELPLINE_MAX_ATTACHMENT_BYTES = 1000
    raw = mail(html=NESTED_HTML)

    result = ingest_message(raw)

    assert original(Entry.objects.get(ticket=result.ticket)) == raw


# --- the size of a body -------------------------------------------------------------------


def test_a_huge_body_is_cut_with_a_note_and_alert_mails_stay_small(
    world: World, support_mailbox: Mailbox
) -> None:
    text = "All work and no play makes Jack a dull boy.\n" * 80_000  # 3.5 MB
    raw = mail(body=text + "The end.")

    result = ingest_message(raw)

    entry = Entry.objects.get(ticket=result.ticket)
    assert len(entry.body) <= MAX_BODY_CHARS
    assert "only its beginning is shown" in entry.body
    assert "The end." not in entry.body
    assert original(entry) == raw
    fan_out_pending()
    alerts = OutboundMessage.objects.filter(ticket=result.ticket)
    assert alerts.exists()
    assert all(len(m.text) + len(m.html) < 3 * MAX_BODY_CHARS for m in alerts)


def test_ordinary_mail_gets_no_note_and_no_copy(world: World, support_mailbox: Mailbox) -> None:
    result = ingest_message(mail(html="<p>It is <b>really</b> on fire.</p>"))

    entry = Entry.objects.get(ticket=result.ticket)
    assert entry.body == "<p>It is <b>really</b> on fire.</p>"
    assert not Attachment.objects.filter(entry=entry).exists()


# --- MIME beyond the bounds ---------------------------------------------------------------


def test_five_thousand_nested_multiparts_are_quarantined_with_the_reason(
    world: World, support_mailbox: Mailbox
) -> None:
    raw = nested_multiparts(5000)

    started = time.thread_time()  # CPU time: what other engineers' load does not change
    result = ingest_message(raw)
    seconds = time.thread_time() - started

    assert result.outcome == LedgerOutcome.QUARANTINED
    assert "nests MIME parts 5,000 deep" in result.reason
    kept = QuarantinedMessage.objects.get()
    assert bytes(kept.raw) == raw
    assert (kept.subject, kept.from_address) == ("Deep", "ken@example.com")
    assert seconds < 1.0, seconds
    # An administrator's retry keeps it where it is, with the same reason.
    again = retry_quarantined(kept)
    assert again.outcome == LedgerOutcome.QUARANTINED and "5,000 deep" in again.reason


def test_the_pipe_stores_nested_multiparts_and_exits_zero(
    world: World, support_mailbox: Mailbox
) -> None:
    out = io.StringIO()
    call_command("ingest_email", stdin_bytes=io.BytesIO(nested_multiparts(5000)), stdout=out)

    assert out.getvalue().startswith("quarantined")
    assert QuarantinedMessage.objects.count() == 1


def test_multiparts_as_deep_as_the_bounds_allow_are_read(
    world: World, support_mailbox: Mailbox
) -> None:
    raw = nested_multiparts(MAX_MIME_DEPTH)
    assert check_mime(raw) == ""
    assert "one more" not in check_mime(nested_multiparts(MAX_MIME_DEPTH + 1))
    assert check_mime(nested_multiparts(MAX_MIME_DEPTH + 1)) != ""

    result = ingest_message(raw)

    assert result.outcome == LedgerOutcome.TICKET


def test_everyday_structures_are_within_the_mime_bounds() -> None:
    raw = mail(
        body="Text -- with dashes\n--verbose\n--quiet\n-- \nSignature",
        html="<p>x</p>",
        attachments=[("log.txt", "text/plain", b"--a\n--b\n--c--\n" * 50)],
    )
    assert check_mime(raw) == ""


# --- no parsing inside the write transaction ----------------------------------------------


@pytest.fixture
def sanitized_in_transaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The sizes of what the real sanitizer read while a transaction was open."""
    sizes: list[int] = []
    real = nh3.clean

    def clean(html: str, *args: Any, **kwargs: Any) -> str:
        if kwargs.get("tags") == ALLOWED_TAGS and connection.in_atomic_block:
            sizes.append(len(html))
        return real(html, *args, **kwargs)

    monkeypatch.setattr(nh3, "clean", clean)
    yield sizes


BIG_HTML = "<div><p>" + "Lots of detail. " * 6_000 + "</p></div>"  # 96 KB


@pytest.mark.django_db(transaction=True)
def test_intake_sanitizes_the_message_before_its_transaction_opens(
    world: World, support_mailbox: Mailbox, sanitized_in_transaction: list[int]
) -> None:
    opened = ingest_message(mail(body="", html=BIG_HTML, message_id="<first@x>"))
    number = opened.ticket.number if opened.ticket else ""
    customer = ingest_message(
        mail(body="", html=BIG_HTML, subject=f"Re: [#{number}]", in_reply_to="<first@x>")
    )
    stranger = ingest_message(
        mail(sender="Eve <eve@example.org>", body="", html=BIG_HTML, subject=f"[#{number}]")
    )

    assert (opened.outcome, customer.outcome) == (LedgerOutcome.TICKET, LedgerOutcome.REPLY)
    assert stranger.outcome in (LedgerOutcome.NOTE, LedgerOutcome.TICKET)
    assert [size for size in sanitized_in_transaction if size >= 90_000] == []


# --- huge address and reference headers ---------------------------------------------------


def crowded(*, cc: list[str], references: int, subject: str = "Crowded") -> bytes:
    """A message whose Cc names `cc` and whose References names `references` ids
    (raw bytes: the stdlib folds such headers slowly)."""
    refs = "\r\n ".join(f"<ref{i}@mail.example.com>" for i in range(references))
    return (
        "From: Ken Adams <ken@example.com>\r\nTo: support@helpline.test\r\n"
        f"Cc: {', '.join(cc)}\r\nReferences: {refs}\r\nIn-Reply-To: <ref1@mail.example.com>\r\n"
        f"Subject: {subject}\r\nMessage-ID: <crowded@mail.example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello, everybody.\r\n"
    ).encode()


def test_five_thousand_cc_addresses_and_references_cost_a_bounded_number_of_queries(
    world: World, support_mailbox: Mailbox
) -> None:
    # Agents are skipped as collaborators; each one named used to cost a query.
    agent = world.agent.user.email
    cc = [agent] * 4000 + [f"p{i}@example.org" for i in range(1000)]
    raw = crowded(cc=cc, references=5000)
    assert len(raw) < MAX_HEADER_BYTES  # within the header bound: it is read

    with CaptureQueriesContext(connection) as queries:
        result = ingest_message(raw)

    assert result.outcome == LedgerOutcome.TICKET
    assert result.ticket is not None
    assert result.ticket.collaborators.count() <= MAX_COLLABORATORS
    assert len(queries) < 200, len(queries)


def test_a_reply_naming_thousands_of_ids_finds_its_ticket_in_few_queries(
    world: World, support_mailbox: Mailbox
) -> None:
    first = ingest_message(mail(message_id="<root@mail.example.com>"))
    assert first.ticket is not None
    # The thread's root first, then thousands of ids, the answered one last.
    refs = " ".join(f"<r{i}@mail.example.com>" for i in range(5000))
    raw = mail(
        subject="More", references=f"<root@mail.example.com> {refs}", in_reply_to="<r4999@x>"
    )
    parsed = parse_message(raw)
    assert len(parsed.references) == 100 and parsed.references[0] == "<root@mail.example.com>"

    with CaptureQueriesContext(connection) as queries:
        result = ingest_message(raw, parsed=parsed)

    assert (result.outcome, result.ticket) == (LedgerOutcome.REPLY, first.ticket)
    assert len(queries) < 200, len(queries)


def test_a_giant_header_block_is_quarantined_with_its_reason(
    world: World, support_mailbox: Mailbox
) -> None:
    cc = [f"Person {i} <p{i}@example.org>" for i in range(50_000)]  # 1.5 MB of Cc
    raw = crowded(cc=cc, references=20_000, subject="Giant")

    started = time.thread_time()
    result = ingest_message(raw)
    seconds = time.thread_time() - started

    assert result.outcome == LedgerOutcome.QUARANTINED
    assert "header block is larger than 262,144 bytes" in result.reason
    kept = QuarantinedMessage.objects.get()
    assert bytes(kept.raw) == raw
    assert kept.from_address == "ken@example.com"
    assert seconds < 1.0, seconds


@pytest.mark.parametrize("ending", [b"\r\n", b"\n", b"\r"])
def test_the_header_bound_holds_for_every_line_ending(ending: bytes) -> None:
    big_header = b"X-Filler: " + b"a" * 100 + ending
    head = b"From: ken@example.com" + ending + big_header * 3000  # 330 KB
    assert check_header_size(head + ending + b"body" + ending) != ""
    # An ordinary header block before a large body is fine.
    small = b"From: ken@example.com" + ending + b"Subject: Hi" + ending + ending
    assert check_header_size(small + b"x" * 400_000) == ""


# --- MIME bounds whatever the line endings and boundaries ----------------------------------

LONG = b"=_Part_" + b"x" * 70  # 77 characters, over RFC 2046's 70
VERY_LONG = b"y" * 400  # past any fixed window after "boundary="

HOSTILE_SHAPES = {
    "nested, bare CR": lambda: nested_multiparts(5000, eol=b"\r"),
    "nested, bare LF": lambda: nested_multiparts(5000, eol=b"\n"),
    "nested, 77-char boundaries": lambda: nested_multiparts(5000, prefix=LONG),
    "nested, 400-char boundaries": lambda: nested_multiparts(2000, prefix=VERY_LONG),
    "5,000 parts, bare CR": lambda: many_parts(5000, eol=b"\r"),
    "5,000 parts, 77-char boundary": lambda: many_parts(5000, boundary=LONG),
    "5,000 parts, 400-char boundary": lambda: many_parts(5000, boundary=VERY_LONG),
    "5,000 parts, 400-char boundary, bare CR": lambda: many_parts(
        5000, eol=b"\r", boundary=VERY_LONG
    ),
}


@pytest.mark.parametrize("shape", list(HOSTILE_SHAPES))
def test_mime_beyond_the_bounds_is_quarantined_whatever_its_line_endings_and_boundaries(
    world: World, support_mailbox: Mailbox, shape: str
) -> None:
    raw = HOSTILE_SHAPES[shape]()

    started = time.thread_time()
    result = ingest_message(raw)
    seconds = time.thread_time() - started

    assert result.outcome == LedgerOutcome.QUARANTINED, result.reason
    assert "MIME parts" in result.reason
    kept = QuarantinedMessage.objects.get()
    assert bytes(kept.raw) == raw and kept.from_address == "ken@example.com"
    assert seconds < 1.0, seconds


@pytest.mark.parametrize("shape", list(HOSTILE_SHAPES))
def test_the_estimate_sees_what_the_parser_would_build(shape: str) -> None:
    assert check_mime(HOSTILE_SHAPES[shape]()) != ""


@pytest.mark.parametrize("parse_policy", [policy.default, policy.compat32])
def test_the_parser_itself_stops_at_the_bounds(parse_policy: Policy) -> None:
    """The backstop behind `check_mime`: what the stdlib parser really builds."""
    with pytest.raises(MimeBoundsExceeded, match="more than 1,000 MIME parts"):
        parse_bounded(many_parts(5000, eol=b"\r"), parse_policy)
    with pytest.raises(MimeBoundsExceeded, match="nests MIME parts deeper"):
        parse_bounded(nested_multiparts(5000, eol=b"\r"), parse_policy)
    within = parse_bounded(many_parts(MAX_MIME_PARTS - 1, eol=b"\r"), parse_policy)
    assert len(within.get_payload()) == MAX_MIME_PARTS - 1


@pytest.mark.parametrize("eol", [b"\r\n", b"\n", b"\r"])
def test_bounded_structures_are_read_with_every_line_ending(
    world: World, support_mailbox: Mailbox, eol: bytes
) -> None:
    assert (
        ingest_message(nested_multiparts(20, eol=eol, prefix=LONG)).outcome == LedgerOutcome.TICKET
    )
    result = ingest_message(many_parts(30, eol=eol, boundary=VERY_LONG))
    assert result.outcome == LedgerOutcome.TICKET
