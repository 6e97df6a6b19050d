"""One raw message in, one outcome out: the entry point of every mail channel
(IMAP/POP3 polling, the `ingest-email` pipe, osTicket's `/api/tickets.email`).

Each message is handled in one transaction that writes what it became (a ticket, a
reply, a note, or a QuarantinedMessage holding its source) together with its
ProcessedMessage ledger row. Nothing is dropped: whatever cannot be placed is
quarantined with the reason, and only database trouble (which the caller should
retry: the pipe exits 75, the poll stops and tries again) escapes as an exception.

The message is parsed (MIME, charsets, HTML sanitized and bounded) before the
transaction opens, so the write lock is held for the writes only: on SQLite every
other writer of the site waits while it is held (issue 9). A message the parser
refused to read beyond its headers (MIME nested too deep, too many parts) carries
its `problem` and is quarantined with it, never bounced.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.urls import get_resolver
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import User
from helpline.intake.models import LedgerOutcome, Mailbox, ProcessedMessage, QuarantinedMessage
from helpline.intake.parse import ParsedMessage, parse_message
from helpline.intake.placement import Placement, Quarantine, place
from helpline.tickets.lifecycle import LifecycleError
from helpline.tickets.models import Source, Ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    """`outcome` is one of "ticket", "reply", "note", "duplicate", "quarantined",
    "ignored"; `ticket` the ticket it went to (or, for a duplicate, the ticket the
    first copy went to); `reason` says why, for logs and administrators."""

    outcome: str
    ticket: Ticket | None = None
    reason: str = ""
    quarantined: QuarantinedMessage | None = None


@dataclass(frozen=True)
class LedgerKey:
    """Where a fetched message sits on its server (IMAP: UIDVALIDITY and UID;
    POP3: 0 and the UIDL)."""

    uidvalidity: int
    uid: str


@dataclass(frozen=True)
class Identity:
    """How the ledger recognises a message: `message_id` is its key (the Message-ID;
    a digest of the source when there is none; a digest of id and content when a
    sender reused an id), `fingerprint` a digest of what the message says."""

    message_id: str
    fingerprint: str


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(parsed: ParsedMessage) -> str:
    """Sender, date, subject, text and files: equal for copies of one message that
    reached us by different routes (only trace headers differ), different for two
    messages that carry the same Message-ID because their sender reuses ids."""
    digest = hashlib.sha256()
    date = parsed.date.isoformat() if parsed.date else ""
    for part in (parsed.from_address.lower(), date, parsed.subject, parsed.text, parsed.html):
        digest.update(part.encode("utf-8", "replace") + b"\0")
    for item in parsed.attachments:
        digest.update(item.filename.encode("utf-8", "replace") + b"\0")
        digest.update(hashlib.sha256(item.content).digest())
    return digest.hexdigest()


def identify(parsed: ParsedMessage, raw: bytes) -> Identity:
    message_id = parsed.message_id.strip()
    if not message_id:
        # No id: only a copy of the very same bytes (a mail server retrying the
        # pipe, a POP3 download repeated) counts as a duplicate.
        message_id = "sha256:" + _sha256(raw)
    elif len(message_id) > 255:
        message_id = "sha256:" + _sha256(message_id.encode())
    return Identity(message_id, fingerprint(parsed))


def _source(channel: str) -> str:
    return channel if channel in Source.values else Source.EMAIL


def ingest_message(
    raw: bytes,
    *,
    mailbox: Mailbox | None = None,
    channel: str = "email",
    parsed: ParsedMessage | None = None,
) -> IngestResult:
    """File one raw message; see the module docstring. `mailbox` routes new tickets
    to its department (None: the mailbox the mail was addressed to, else the oldest);
    `channel` ("email", "api") becomes the ticket's source; `parsed` is
    `parse_message(raw)` when the caller has it already."""
    return ingest(raw, mailbox=mailbox, channel=channel, parsed=parsed)


def ingest(
    raw: bytes,
    *,
    mailbox: Mailbox | None = None,
    channel: str = "email",
    key: LedgerKey | None = None,
    parsed: ParsedMessage | None = None,
) -> IngestResult:
    """`ingest_message` with the message's place on its server, for polling."""
    parsed = parse_message(raw) if parsed is None else parsed  # before the transaction
    identity = identify(parsed, raw)
    _load_urls()
    try:
        with transaction.atomic():
            earlier, message_id = _earlier(mailbox, key, identity)
            if earlier is not None:
                return _duplicate(earlier, mailbox, key, message_id, identity)
            result = _place_or_quarantine(raw, parsed, mailbox, channel, message_id)
            _write_ledger(mailbox, key, message_id, identity.fingerprint, result)
            return result
    except IntegrityError:
        # The same message stored by another process at the same moment: its
        # transaction won and ours was rolled back whole, ticket and all.
        with transaction.atomic():
            earlier, message_id = _earlier(mailbox, key, identity)
            if earlier is None:
                raise
            return _duplicate(earlier, mailbox, key, message_id, identity)


def _load_urls() -> None:
    """Import the URLconf now, not inside the transaction: notify builds the links
    of the mail it queues with reverse(), and in a fresh process (each piped
    message, a worker's first mail) the first reverse() imports every view module,
    0.2 to 0.7 s measured, which held SQLite's write lock all that time."""
    get_resolver().reverse_dict  # noqa: B018 - the lookup populates the resolver


def _first(message_id: str) -> ProcessedMessage | None:
    return (
        ProcessedMessage.objects.filter(message_id=message_id)
        .exclude(outcome=LedgerOutcome.DUPLICATE)
        .order_by("pk")
        .first()
    )


def _earlier(
    mailbox: Mailbox | None, key: LedgerKey | None, identity: Identity
) -> tuple[ProcessedMessage | None, str]:
    """The ledger row of an earlier copy of this message (None: it is new), and the
    id to record this one under."""
    if key is not None and mailbox is not None:
        row = ProcessedMessage.objects.filter(
            mailbox=mailbox, uidvalidity=key.uidvalidity, uid=key.uid
        ).first()
        if row is not None:
            return row, identity.message_id
    row = _first(identity.message_id)
    if row is None or row.fingerprint in ("", identity.fingerprint):
        return row, identity.message_id
    # The same Message-ID on a different message: its sender reuses ids. Dropping it
    # as a duplicate would lose it, so it is recorded under an id of its own.
    reused = "sha256:" + _sha256(f"{identity.message_id}\0{identity.fingerprint}".encode())
    return _first(reused), reused


def _duplicate(
    earlier: ProcessedMessage,
    mailbox: Mailbox | None,
    key: LedgerKey | None,
    message_id: str,
    identity: Identity,
) -> IngestResult:
    reason = _("Already received on %(when)s UTC (%(outcome)s).") % {
        "when": f"{earlier.created_at:%Y-%m-%d %H:%M}",
        "outcome": earlier.outcome,
    }
    if key is not None and mailbox is not None:
        # Record this copy's place too, so the next poll does not fetch it again.
        ProcessedMessage.objects.get_or_create(
            mailbox=mailbox,
            uidvalidity=key.uidvalidity,
            uid=key.uid,
            defaults={
                "message_id": message_id,
                "fingerprint": identity.fingerprint,
                "outcome": LedgerOutcome.DUPLICATE,
                "ticket": earlier.ticket,
                "reason": reason,
            },
        )
    return IngestResult(LedgerOutcome.DUPLICATE, earlier.ticket, reason)


def _write_ledger(
    mailbox: Mailbox | None,
    key: LedgerKey | None,
    message_id: str,
    fingerprint: str,
    result: IngestResult,
) -> None:
    ProcessedMessage.objects.create(
        mailbox=mailbox,
        uidvalidity=key.uidvalidity if key else 0,
        uid=key.uid if key else "",
        message_id=message_id,
        fingerprint=fingerprint,
        outcome=result.outcome,
        ticket=result.ticket,
        quarantined=result.quarantined,
        reason=result.reason,
    )


def _attempt(
    parsed: ParsedMessage, mailbox: Mailbox | None, channel: str, accept_automatic: bool = False
) -> Placement | str:
    """The placement, or the reason it failed. Runs in a savepoint, so a refusal
    halfway (a customer created, then the lifecycle says no) leaves nothing behind."""
    if parsed.problem:
        return parsed.problem
    try:
        with transaction.atomic():
            return place(
                parsed, mailbox=mailbox, source=_source(channel), accept_automatic=accept_automatic
            )
    except Quarantine as e:
        return e.reason
    except LifecycleError as e:
        return _("Helpline refused it: %(reason)s") % {"reason": e.message}
    except (DataError, IntegrityError) as e:
        # Permanent for this message: retrying would fail the same way and block
        # the mailbox behind it. Connection errors, by contrast, propagate.
        log.exception("The database refused a message")
        return _("The database refused it (%(error)s).") % {"error": f"{type(e).__name__}: {e}"}
    except DatabaseError:
        raise  # unreachable, locked, not migrated: the caller tries again later
    except Exception as e:
        log.exception("Mail intake failed on a message")
        return _("Intake failed on it (%(error)s); please report this as a bug.") % {
            "error": f"{type(e).__name__}: {e}"
        }


def _place_or_quarantine(
    raw: bytes, parsed: ParsedMessage, mailbox: Mailbox | None, channel: str, message_id: str
) -> IngestResult:
    attempt = _attempt(parsed, mailbox, channel)
    if isinstance(attempt, Placement):
        return IngestResult(attempt.outcome, attempt.ticket, attempt.reason)
    quarantined = QuarantinedMessage.objects.create(
        raw=raw,
        reason=attempt,
        mailbox=mailbox,
        channel=channel[:20],
        message_id=message_id[:255],
        from_address=parsed.from_address[:254],
        subject=parsed.subject[:255],
        size=len(raw),
    )
    log.warning("Quarantined message %s: %s", message_id, attempt)
    return IngestResult(LedgerOutcome.QUARANTINED, None, attempt, quarantined)


# --- administrators' actions on quarantine ------------------------------------------------


def retry_quarantined(
    message: QuarantinedMessage, *, by: User | None = None, accept_automatic: bool = False
) -> IngestResult:
    """Run a quarantined message through intake again (after the administrator fixed
    what was wrong, e.g. added a mailbox). Placed: the message and its ledger row
    take the outcome. Failed again: it stays pending with the new reason."""
    # Parsed before the transaction (see the module docstring); the source of a
    # pending message never changes, and the state is checked again under the lock.
    raw = bytes(QuarantinedMessage.objects.values_list("raw", flat=True).get(pk=message.pk))
    parsed = parse_message(raw)
    with transaction.atomic():
        message = QuarantinedMessage.objects.select_for_update().get(pk=message.pk)
        if message.state != QuarantinedMessage.State.PENDING:
            return IngestResult(
                LedgerOutcome.QUARANTINED, message.ticket, _("Already resolved."), message
            )
        earlier = (
            ProcessedMessage.objects.filter(message_id=message.message_id)
            .exclude(outcome=LedgerOutcome.DUPLICATE)
            .exclude(quarantined=message)
            .first()
        )
        if earlier is not None:
            _resolve(message, earlier.ticket, by)
            return IngestResult(
                LedgerOutcome.DUPLICATE, earlier.ticket, _("Arrived again and was placed.")
            )
        attempt = _attempt(parsed, message.mailbox, message.channel, accept_automatic)
        if not isinstance(attempt, Placement):
            message.reason = attempt
            message.save(update_fields=["reason"])
            return IngestResult(LedgerOutcome.QUARANTINED, None, attempt, message)
        _resolve(message, attempt.ticket, by)
        rows = ProcessedMessage.objects.filter(quarantined=message).update(
            outcome=attempt.outcome, ticket=attempt.ticket, reason=attempt.reason
        )
        if not rows:
            placed = IngestResult(attempt.outcome, attempt.ticket, attempt.reason, message)
            _write_ledger(message.mailbox, None, message.message_id, fingerprint(parsed), placed)
        return IngestResult(attempt.outcome, attempt.ticket, attempt.reason)


def _resolve(message: QuarantinedMessage, ticket: Ticket | None, by: User | None) -> None:
    message.state = QuarantinedMessage.State.PLACED
    message.ticket = ticket
    message.resolved_at = timezone.now()
    message.resolved_by = by
    message.save(update_fields=["state", "ticket", "resolved_at", "resolved_by"])


def discard_quarantined(message: QuarantinedMessage, *, by: User | None = None) -> bool:
    """Throw a pending message away (its source is deleted; the row stays as a
    record). False if it was no longer pending."""
    return bool(
        QuarantinedMessage.objects.filter(
            pk=message.pk, state=QuarantinedMessage.State.PENDING
        ).update(
            state=QuarantinedMessage.State.DISCARDED,
            raw=b"",
            resolved_at=timezone.now(),
            resolved_by=by,
        )
    )
