"""Fetching mail from IMAP and POP3 mailboxes without losing or doubling any.

For each message on the server, oldest first:
1. already in the ledger (imported before, but the move/delete did not happen, e.g.
   the worker was killed): skip the import, just finish the move/delete;
2. else fetch it without touching it (IMAP `BODY.PEEK[]`, so it is not marked seen;
   POP3 `RETR`), and ingest it: its ticket or quarantine row and its ledger row are
   committed in one transaction;
3. only after that commit, move it to the archive folder, delete it, or mark it seen.
POP3 deletions take effect at QUIT; a session that dies before it deletes nothing,
and the ledger makes the next poll finish the job.

`poll_due_mailboxes()` is the worker's periodic job: it polls every active mailbox
whose interval has passed, each claimed with a conditional UPDATE so two workers
never poll one mailbox at once, and one broken mailbox only records its error.
"""

from __future__ import annotations

import imaplib
import logging
import poplib
import ssl
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.mailbox import BaseMailBox

from helpline.intake.ingest import LedgerKey, ingest
from helpline.intake.models import Mailbox, MailboxError, ProcessedMessage

log = logging.getLogger(__name__)

TIMEOUT = 60  # seconds for connecting and for each server answer
BATCH_LIMIT = 200  # messages imported per poll, so one poll never runs for hours
# poplib refuses lines over 2,048 bytes; mail in the wild has longer ones.
poplib._MAXLINE = max(poplib._MAXLINE, 1_000_000)  # type: ignore[attr-defined]


class Session(Protocol):
    uidvalidity: int

    def uids(self) -> list[str]: ...

    def fetch(self, uid: str) -> bytes | None: ...

    def finish(self, uid: str) -> None: ...

    def close(self) -> None: ...


class ImapSession:
    def __init__(self, mailbox: Mailbox, password: str) -> None:
        host, port = mailbox.host, mailbox.effective_port
        self.box: BaseMailBox
        if mailbox.security == Mailbox.Security.SSL:
            self.box = MailBox(host, port, timeout=TIMEOUT)
        elif mailbox.security == Mailbox.Security.STARTTLS:
            self.box = MailBoxStartTls(host, port, timeout=TIMEOUT)
        else:
            self.box = MailBoxUnencrypted(host, port, timeout=TIMEOUT)
        folder = mailbox.folder or "INBOX"
        try:
            self.box.login(mailbox.username, password, initial_folder=folder)
        except Exception:
            self._drop()
            raise
        status = self.box.folder.status(folder, ["UIDVALIDITY"])
        self.uidvalidity = int(status["UIDVALIDITY"])
        self.action = mailbox.after_import
        self.archive = mailbox.archive_folder.strip() or "Archive"
        self._archive_ready = False

    def uids(self) -> list[str]:
        return sorted(self.box.uids("UNDELETED"), key=int)

    def fetch(self, uid: str) -> bytes | None:
        # BODY.PEEK[]: fetching must not mark the message seen before it is imported.
        typ, data = self.box.client.uid("FETCH", uid, "(BODY.PEEK[])")
        if typ != "OK":
            raise MailboxError(
                _("The server would not send message UID %(uid)s: %(data)s")
                % {"uid": uid, "data": repr(data)}
            )
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None  # gone since the search (another client moved it)

    def finish(self, uid: str) -> None:
        if self.action == Mailbox.AfterImport.ARCHIVE:
            if not self._archive_ready:
                if not self.box.folder.exists(self.archive):
                    self.box.folder.create(self.archive)
                self._archive_ready = True
            self.box.move(uid, self.archive)
        elif self.action == Mailbox.AfterImport.DELETE:
            self.box.delete(uid)
        else:
            self.box.client.uid("STORE", uid, "+FLAGS", r"(\Seen)")

    def close(self) -> None:
        try:
            self.box.logout()
        except (imaplib.IMAP4.error, OSError):
            self._drop()

    def _drop(self) -> None:
        try:
            self.box.client.shutdown()
        except Exception:  # already gone
            log.debug("IMAP connection already closed")


class Pop3Session:
    uidvalidity = 0  # POP3 has none; the UIDL alone names a message

    def __init__(self, mailbox: Mailbox, password: str) -> None:
        host, port = mailbox.host, mailbox.effective_port
        self.conn: poplib.POP3
        if mailbox.security == Mailbox.Security.SSL:
            self.conn = poplib.POP3_SSL(
                host, port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            self.conn = poplib.POP3(host, port, timeout=TIMEOUT)
        try:
            if mailbox.security == Mailbox.Security.STARTTLS:
                self.conn.stls(context=ssl.create_default_context())
            self.conn.user(mailbox.username)
            self.conn.pass_(password)
            _, lines, _ = self.conn.uidl()
        except Exception:
            self.conn.close()
            raise
        self.numbers: dict[str, int] = {}
        for line in lines:
            number, _, uid = line.decode("ascii", "replace").partition(" ")
            self.numbers[uid.strip()] = int(number)
        self.delete = mailbox.after_import != Mailbox.AfterImport.SEEN

    def uids(self) -> list[str]:
        return sorted(self.numbers, key=self.numbers.__getitem__)

    def fetch(self, uid: str) -> bytes | None:
        _, lines, _ = self.conn.retr(self.numbers[uid])
        return b"\r\n".join(lines) + b"\r\n"

    def finish(self, uid: str) -> None:
        if self.delete:
            self.conn.dele(self.numbers[uid])  # applied at QUIT

    def close(self) -> None:
        self.conn.quit()


def open_session(mailbox: Mailbox) -> Session:
    password = mailbox.get_password()
    if mailbox.protocol == Mailbox.Protocol.POP3:
        return Pop3Session(mailbox, password)
    if mailbox.protocol == Mailbox.Protocol.IMAP:
        return ImapSession(mailbox, password)
    raise MailboxError(_("This mailbox receives piped mail; there is nothing to fetch."))


@dataclass
class PollResult:
    mailbox: Mailbox
    outcomes: Counter[str] = field(default_factory=Counter)  # of the messages imported now
    finished: int = 0  # imported earlier; their move/delete was completed now
    error: str = ""


def _after_import(session: Session, uid: str) -> None:
    """Move/delete/mark one message whose import has committed (a seam for the tests
    that kill the poll between the commit and this step)."""
    session.finish(uid)


def _known(mailbox: Mailbox, uidvalidity: int, uids: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(uids), 500):
        known.update(
            ProcessedMessage.objects.filter(
                mailbox=mailbox, uidvalidity=uidvalidity, uid__in=uids[start : start + 500]
            ).values_list("uid", flat=True)
        )
    return known


def _import(mailbox: Mailbox, session: Session, result: PollResult, limit: int) -> None:
    uids = session.uids()
    known = _known(mailbox, session.uidvalidity, uids)
    for uid in uids:
        if uid in known:
            if mailbox.after_import != Mailbox.AfterImport.SEEN:
                _after_import(session, uid)
                result.finished += 1
            continue
        if result.outcomes.total() >= limit:
            break  # the rest next time
        raw = session.fetch(uid)
        if raw is None:
            continue
        outcome = ingest(raw, mailbox=mailbox, key=LedgerKey(session.uidvalidity, uid))
        result.outcomes[outcome.outcome] += 1
        _after_import(session, uid)  # only now: the import above has committed


def _describe(error: Exception, mailbox: Mailbox) -> str:
    name = type(error).__name__
    if name == "MailboxLoginError" or (
        isinstance(error, poplib.error_proto) and "auth" in str(error).lower()
    ):
        return _("Login as %(user)s failed: %(error)s") % {"user": mailbox.username, "error": error}
    if isinstance(error, OSError):
        return _("Cannot reach %(host)s:%(port)s: %(error)s") % {
            "host": mailbox.host,
            "port": mailbox.effective_port,
            "error": error,
        }
    return f"{name}: {error}"


def poll_mailbox(mailbox: Mailbox, *, limit: int = BATCH_LIMIT) -> PollResult:
    """Import what waits in one mailbox; errors are recorded on it, never raised."""
    if connection.in_atomic_block:
        # Each import must commit before its message is moved on the server.
        raise RuntimeError("poll_mailbox() must not run inside a transaction.")
    result = PollResult(mailbox)
    now = timezone.now()
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now)
    session: Session | None = None
    try:
        session = open_session(mailbox)
        _import(mailbox, session, result, limit)
    except Exception as e:
        result.error = _describe(e, mailbox)[:2000]
        log.warning("Mailbox %s: %s", mailbox, result.error)
    finally:
        if session is not None:
            try:
                session.close()  # POP3: QUIT applies the deletions
            except Exception as e:
                result.error = result.error or _describe(e, mailbox)[:2000]
    _record(mailbox, result.error, now)
    return result


def _record(mailbox: Mailbox, error: str, now: datetime) -> None:
    try:
        if error:
            Mailbox.objects.filter(pk=mailbox.pk).update(last_error=error, last_error_at=now)
        else:
            Mailbox.objects.filter(pk=mailbox.pk).update(
                last_success_at=now, last_error="", last_error_at=None
            )
    except Exception:  # the database is what failed; the log has to do
        log.exception("Could not record the poll of %s", mailbox)


def _claim(mailbox: Mailbox, now: datetime) -> bool:
    """Take this mailbox's turn: of two workers looking at once, exactly one wins."""
    return (
        Mailbox.objects.filter(pk=mailbox.pk, last_polled_at=mailbox.last_polled_at).update(
            last_polled_at=now
        )
        == 1
    )


def poll_due_mailboxes(now: datetime | None = None) -> list[PollResult]:
    """Poll every active mailbox whose interval has passed (the worker's job)."""
    now = now or timezone.now()
    results = []
    mailboxes = (
        Mailbox.objects.filter(is_active=True)
        .exclude(protocol=Mailbox.Protocol.PIPE)
        .select_related("department", "topic")
        .order_by("pk")
    )
    for mailbox in mailboxes:
        if not mailbox.is_due(now) or not _claim(mailbox, now):
            continue
        try:
            results.append(poll_mailbox(mailbox))
        except Exception:  # one mailbox never stops the others
            log.exception("Polling %s failed", mailbox)
    return results
