"""Sending the outbox: at most once per message, retried with backoff, over one SMTP
connection per batch.

`deliver_many(ids)` is what the `send_outbound_batch` task runs for the mail of
one change (queued by the fan-out, `helpline.notify.fanout`): one connection for
all of it, each message claimed, sent and recorded on its own. `deliver(id)` is the
case of one (a retry, "retry now"). `send_due()` is the worker's periodic sweep for
anything whose task was lost or whose retry time has come (one connection too);
`retry(...)` is the administrator's "try again now". None of them runs inside a
request, and none holds a database transaction open while talking to the mail
server. The claim protocol is described in `helpline.notify.models`.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from email.message import MIMEPart
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import InterfaceError, OperationalError, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from helpline.lib.content_id import CONTENT_ID
from helpline.notify.addresses import reply_address
from helpline.notify.models import MailKind, OutboundMessage, OutboundStatus
from helpline.tickets.models import Attachment, Event

log = logging.getLogger(__name__)

# Waits after the 1st, 2nd, ... failed attempt; the attempt after the last wait is
# the final one (5 attempts over about two and a half hours), then `failed`.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=25),
    timedelta(minutes=125),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How long a claimed message is left alone by other senders. Longer than any SMTP
# conversation (set a `timeout` in MAILERS' OPTIONS), so it is never sent twice
# while it is being sent; a sender that died mid-send is retried after it.
# HELPLINE_OUTBOX_LEASE_SECONDS overrides it (the fault test shortens it).
LEASE = timedelta(minutes=10)
# How many messages one send_due() call sends at most, so a backlog never keeps the
# worker from its other jobs for long.
SEND_DUE_BATCH = 200


class SendResult:
    SENT = "sent"
    RETRY = "retry"  # failed, another attempt is scheduled
    FAILED = "failed"  # failed for good (visible in the admin)
    SKIPPED = "skipped"  # not ours to send: sent, failed, not due, taken, or gone


_OPEN = (OutboundStatus.PENDING, OutboundStatus.SENDING)


def lease() -> timedelta:
    seconds = getattr(settings, "HELPLINE_OUTBOX_LEASE_SECONDS", None)
    return LEASE if seconds is None else timedelta(seconds=seconds)


def _claim(message: OutboundMessage, now: datetime, until: datetime) -> bool:
    """Take the message for this sender until `until`: pending and due, or
    `sending` with its sender's lease over. The UPDATE matches only if nobody
    changed the row since we read it, so exactly one sender sees a row count of 1."""
    rows = OutboundMessage.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=message.pk,
        status=message.status,
        attempts=message.attempts,
    ).update(status=OutboundStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=until)
    if rows == 1:
        message.attempts += 1
    return rows == 1


# Mail a customer or collaborator may answer: with HELPLINE_REPLY_ADDRESS_TOKENS it
# says where to answer with a Reply-To that carries their reply token.
ANSWERABLE = frozenset({MailKind.AUTORESPONSE, MailKind.REPLY, MailKind.RESOLVED})


def _reply_to(message: OutboundMessage) -> str:
    """The tagged Reply-To of a mail to one customer (see lib.mailids), or ""."""
    if not settings.HELPLINE_REPLY_ADDRESS_TOKENS or message.kind not in ANSWERABLE:
        return ""
    if len(message.to) != 1 or message.ticket is None:
        return ""
    return reply_address(message.from_email, message.ticket.number, message.to[0])


def _email(message: OutboundMessage) -> EmailMultiAlternatives:
    headers = {"Message-ID": message.message_id}
    if reply_to := _reply_to(message):
        headers["Reply-To"] = reply_to
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    if message.auto_submitted:
        headers["Auto-Submitted"] = message.auto_submitted
        # Exchange and Outlook honour this one rather than Auto-Submitted.
        headers["X-Auto-Response-Suppress"] = "All"
    email = _RelatedEmail(
        message.subject,
        message.text,
        message.from_email or None,
        message.to,
        cc=message.cc,
        headers=headers,
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    for name, content, content_type, content_id in _files(message):
        if CONTENT_ID.fullmatch(content_id) and message.html:
            email.inline.append(_inline_part(name, content, content_type, content_id))
        else:
            email.attach(name, content, content_type)
    return email


class _RelatedEmail(EmailMultiAlternatives):
    """A mail whose HTML shows pictures of its own (`cid:`): they go with the HTML
    in a multipart/related, as mail programs expect, and the other files after the
    message: mixed(alternative(text, related(html, pictures)), files). So no
    program lists an inline picture as a file too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inline: list[MIMEPart] = []

    def _add_bodies(self, msg: Any) -> Any:
        msg = super()._add_bodies(msg)  # type: ignore[misc]  # Django's hook, not in its stubs
        html = msg.get_body(preferencelist=("html",)) if self.inline else None
        if html is not None:
            html.make_related()
            for part in self.inline:
                html.attach(part)
        return msg


def _inline_part(name: str, content: bytes, content_type: str, content_id: str) -> MIMEPart:
    """A picture the HTML shows inline (`<img src="cid:...">`): sent with its
    Content-ID, so mail programs show it in place as well as among the files."""
    maintype, _, subtype = content_type.partition("/")
    part = MIMEPart()
    part.set_content(
        content,
        maintype=maintype or "application",
        subtype=subtype or "octet-stream",
        disposition="inline",
        filename=name,
        cid=f"<{content_id}>",
    )
    return part


# Mail a person wrote (an agent's reply, a resolution) carries the files attached
# to it, as it would from any mail client: a manual from a canned reply reaches
# the customer's mailbox, not only the portal.
CARRIES_FILES = frozenset({MailKind.REPLY, MailKind.RESOLVED})


def _files(message: OutboundMessage) -> list[tuple[str, bytes, str, str]]:
    """(name, content, type, content ID) of the files of the message's thread entry, read when
    it is sent (never kept twice). A file gone from storage is left out and
    logged: the mail still goes, and the ticket page still lists the entry."""
    if message.kind not in CARRIES_FILES or message.event_id is None:
        return []
    entry_id = (
        Event.objects.filter(pk=message.event_id).values_list("data", flat=True).first() or {}
    ).get("entry")
    if not isinstance(entry_id, int):
        return []
    files = []
    for stored in Attachment.objects.filter(entry_id=entry_id).order_by("id"):
        try:
            with stored.file.open("rb") as stream:
                files.append(
                    (stored.filename, stream.read(), stored.content_type, stored.content_id)
                )
        except (OSError, ValueError):  # gone from storage, or no name to open
            log.error("Mail %s goes without %s: its file is gone", message.pk, stored.pk)
    return files


def _is_permanent(error: Exception) -> bool:
    """A refusal that will not change by waiting: every recipient refused with a
    5xx code, or the message itself refused with one. Other errors (connection,
    timeouts, 4xx, even 5xx on login, which an administrator fixes) are retried."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def deliver(outbound_id: int) -> str:
    """Send one outbox message if it is due; safe to call any number of times, from
    any number of processes: it is sent at most once (see the models' doc)."""
    return deliver_many([outbound_id])[0]


class _Connection:
    """The default mailer, opened when the first message of a batch is claimed and
    kept open for the next; closed after an error (the next message opens a fresh
    one: a connection error must not fail the rest of the batch) and at the end."""

    def __init__(self) -> None:
        self.mailer = mailers["default"]

    def send(self, message: OutboundMessage) -> None:
        self.mailer.open()  # nothing to do if it is open already
        self.mailer.send_messages([_email(message)])

    def close(self) -> None:
        with suppress(Exception):  # a dropped connection may fail to say goodbye
            self.mailer.close()


def deliver_many(ids: Sequence[int]) -> list[str]:
    """Send these outbox messages over one SMTP connection, in order; returns each
    one's SendResult. Each message keeps the protocol of one: claimed just before
    it is sent (its own lease), its outcome recorded right after, retried or
    failed on its own; a connection error costs that message an attempt, and the
    next one opens a new connection."""
    found = {
        m.pk: m
        for m in OutboundMessage.objects.select_related("ticket").filter(
            pk__in=list(ids), status__in=_OPEN
        )
    }
    connection = _Connection()
    try:
        return [
            _deliver(found[pk], connection) if pk in found else SendResult.SKIPPED for pk in ids
        ]
    finally:
        connection.close()


def _deliver(message: OutboundMessage, connection: _Connection) -> str:
    now = timezone.now()
    if message.status == OutboundStatus.SENDING and message.attempts >= MAX_ATTEMPTS:
        # Its senders died mid-send, attempt after attempt: stop here, visibly.
        stopped = OutboundMessage.objects.filter(
            pk=message.pk,
            status=message.status,
            attempts=message.attempts,
            next_attempt_at__lte=now,
        ).update(status=OutboundStatus.FAILED, last_error="The sender stopped while sending.")
        return SendResult.FAILED if stopped else SendResult.SKIPPED
    until = now + lease()
    if not _claim(message, now, until):
        return SendResult.SKIPPED
    # Every UPDATE from here names the attempt we claimed: if our lease ran out and
    # another sender took over, we change nothing.
    mine = OutboundMessage.objects.filter(
        pk=message.pk, status=OutboundStatus.SENDING, attempts=message.attempts
    )
    try:
        connection.send(message)
    except Exception as error:
        connection.close()
        if _is_permanent(error) or message.attempts >= MAX_ATTEMPTS:
            _record(
                mine,
                until,
                status=OutboundStatus.FAILED,
                next_attempt_at=None,
                last_error=_describe(error),
            )
            log.error("Mail %s failed for good: %s", message.pk, _describe(error))
            return SendResult.FAILED
        when = timezone.now() + RETRY_DELAYS[message.attempts - 1]
        _record(
            mine, until, status=OutboundStatus.PENDING, next_attempt_at=when,
            last_error=_describe(error),
        )  # fmt: skip
        log.warning("Mail %s failed, retrying at %s: %s", message.pk, when, _describe(error))
        _schedule(message.pk, when)
        return SendResult.RETRY
    # The server has the message (its 250 ended DATA). Say so before the next
    # message, and before saying goodbye: a sender that dies from here until the
    # UPDATE commits leaves a mail the server has looking unsent, and it goes out
    # again after the lease. QUIT, a round trip to a server that may be slow,
    # stays out of that window (deliver_many says it once, at the end).
    _record(
        mine, until, status=OutboundStatus.SENT, sent_at=timezone.now(),
        next_attempt_at=None, last_error="",
    )  # fmt: skip
    return SendResult.SENT


# The database is away for now (a restart cut the connection, the server is still
# starting, another writer holds SQLite's lock past the busy timeout); the UPDATE
# itself is fine and is tried again.
_AWAY = (OperationalError, InterfaceError)


def _record(rows: QuerySet[OutboundMessage], until: datetime, **fields: Any) -> None:
    """UPDATE our claimed row with what the mail server answered. If the database
    is away, wait for it (reconnecting, with backoff) until our lease ends at
    `until`: up to then nobody else sends the message, so recording the answer
    late is as good as on time; after it, another sender may have taken over, so
    we stop and the error goes up (the row stays `sending` and is taken up again
    once the lease is over). Inside a transaction there is nothing to reconnect,
    so the first error goes up."""
    # On the monotonic clock: tests that freeze the wall clock must not wait forever.
    deadline = time.monotonic() + (until - timezone.now()).total_seconds()
    pause = 0.05
    while True:
        try:
            rows.update(**fields)
            return
        except _AWAY as error:
            db = connections[rows.db]
            if db.in_atomic_block or time.monotonic() + pause >= deadline:
                raise
            log.warning("The database is away; recording a mail's outcome again: %s", error)
            if not db.is_usable():  # cut (PostgreSQL); SQLite's lock needs no new one
                with suppress(Exception):  # a broken connection may fail to close
                    db.close()  # the next query connects again
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def _schedule(outbound_id: int, when: datetime | None) -> None:
    """Queue a task for the retry, so retries happen even without the periodic
    sweep. If queuing fails, the row is still pending and send_due() finds it."""
    from helpline.notify.tasks import send_outbound

    def enqueue() -> None:
        task = send_outbound.using(run_after=when) if when else send_outbound
        task.enqueue(outbound_id)

    try:
        transaction.on_commit(enqueue, robust=True)
    except Exception:  # pragma: no cover - the database is gone; send_due() will do it
        log.exception("Could not queue mail %s", outbound_id)


def send_due(*, limit: int = SEND_DUE_BATCH) -> Counter[str]:
    """Send every message whose next attempt has come (up to `limit`), oldest first:
    those whose task was lost, retries, and those whose sender died mid-send. The
    worker calls it periodically; also `helpline notify send-due`. Returns how many
    were sent, retried, failed and skipped."""
    now = timezone.now()
    due = (
        OutboundMessage.objects.filter(status__in=_OPEN, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return Counter(deliver_many(list(due)))


def retry(ids: Iterable[int] | None = None, *, send: bool = False) -> list[int]:
    """Put messages back to pending, due now, with a fresh set of attempts: every
    failed one, or those of `ids` that failed or are waiting for a retry (one being
    sent right now is left alone). Returns their ids. With `send`, send them here
    and now (command line); else queue a task for each (admin: nothing is sent from
    inside a request)."""
    now = timezone.now()
    allowed = (
        [OutboundStatus.FAILED] if ids is None else [OutboundStatus.FAILED, OutboundStatus.PENDING]
    )
    rows = OutboundMessage.objects.filter(status__in=allowed)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    chosen = list(rows.values_list("pk", flat=True))
    # The status condition again: a row claimed since we read it stays its sender's.
    OutboundMessage.objects.filter(pk__in=chosen, status__in=allowed).update(
        status=OutboundStatus.PENDING, attempts=0, next_attempt_at=now
    )
    for pk in chosen:
        if send:
            deliver(pk)
        else:
            _schedule(pk, None)
    return chosen
