"""The machinery every lifecycle function shares: errors, locking, the change
recorder (fields, events, counters), thread entries and attachments.

The other lifecycle modules import these by their public names (`Change`,
`lock_ticket`, `require_agent`, `add_entry`, ...); the package's `__init__`
re-exports only what channels call. Names with a leading underscore are private
to this module."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.db import transaction
from django.db.models import F, Model
from django.dispatch import Signal
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from helpline.accounts.models import Agent, Customer
from helpline.lib.html import (
    MAX_BODY_CHARS,
    SafeHTML,
    check_html,
    fit_text,
    html_to_text,
    is_blank,
    sanitize,
    strip_tags,
    text_to_html,
)
from helpline.tickets.models import (
    Attachment,
    Entry,
    EntryKind,
    Event,
    EventKind,
    QueueCount,
    Source,
    State,
    Status,
    StatusPurpose,
    Ticket,
)
from helpline.tickets.permissions import TicketAction, can
from helpline.tickets.reasons import OWN_KEY, Own

Actor = Agent | Customer | None  # None is the system (clock, sweep)

# Sent after the transaction commits, with the events it wrote. Notifications and
# webhooks hook in here; nothing is sent from inside the transaction.
events_committed = Signal()
# Sent inside the transaction, with the Event rows just written: the notification
# outbox writes its rows here, so a committed change always has its mail queued.
# The events may belong to several tickets (see `announce`): group them by ticket.
events_recorded = Signal()


class LifecycleError(Exception):
    """A change was refused. The message is for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(LifecycleError):
    pass


class Refused(LifecycleError):
    """The transition is not possible from the ticket's current state."""


class Rejected(LifecycleError):
    """A routing rule turned the new ticket away; the message carries its reason."""


class Conflict(LifecycleError):
    def __init__(self, ticket: Ticket) -> None:
        super().__init__(
            _(
                "This ticket was changed by someone else while you were looking at it. "
                "Its current state is shown; check it and try again."
            )
        )
        self.ticket = ticket


class ChangedMeanwhile(Conflict):
    """People changed the ticket (another agent replied, the customer wrote, ...)
    after the reply's writer opened it: the reply waits until they have seen it."""

    def __init__(self, ticket: Ticket) -> None:
        LifecycleError.__init__(
            self,
            _(
                "Others changed this ticket since you opened it. Read what changed "
                "before your reply goes to the customer."
            ),
        )
        self.ticket = ticket


@dataclass(frozen=True)
class Upload:
    """A file to attach, already read and checked by the channel."""

    filename: str
    content_type: str
    content: bytes
    # The part's Content-ID (without angle brackets) when the message shows it
    # inline: its HTML names it as `cid:...` (a mail's inline picture, a picture
    # pasted into the desk's editor). Empty for a plain attachment.
    content_id: str = ""


# --- helpers ----------------------------------------------------------------------


def actor_name(actor: Actor) -> str:
    if isinstance(actor, Agent):
        return actor.name
    if isinstance(actor, Customer):
        return actor.name
    return "System"


def require_agent(actor: Actor, action: TicketAction, ticket: Ticket) -> Agent:
    if not isinstance(actor, Agent) or not can(actor, action, ticket):
        raise NotAllowed(_("You are not allowed to do that on this ticket."))
    return actor


def refuse_archived(ticket: Ticket) -> None:
    """Archived tickets are read-only, and so is a merged one: what is written to it
    goes to its survivor (merging.lock_receiving), the rest is refused here."""
    if ticket.state == State.ARCHIVED:
        raise Refused(_("Archived tickets cannot be changed."))
    if ticket.merged_into_id is not None:
        survivor = Ticket.objects.filter(pk=ticket.merged_into_id).values_list("number", flat=True)
        raise Refused(
            _("This ticket was merged into #%(number)s: work on that one, or undo the merge.")
            % {"number": survivor.first() or "?"}
        )


def status_for(purpose: StatusPurpose) -> Status:
    try:
        return Status.objects.get(purpose=purpose)
    except Status.DoesNotExist:
        raise Refused(
            _("No status is set up for “%(purpose)s”; an administrator must pick one.")
            % {"purpose": purpose.label}
        ) from None


def queue_bucket(ticket: Ticket) -> tuple[int, int, int, str, bool]:
    return (
        ticket.department_id,
        ticket.assignee_id or 0,
        ticket.team_id or 0,
        ticket.state,
        ticket.is_overdue,
    )


def add_to_count(bucket: tuple[int, int, int, str, bool], delta: int) -> None:
    """Move a queue counter. The bucket's row exists but for the first ticket in it:
    one UPDATE, and the row is made only when that UPDATE found none."""
    dept, assignee, team, state, overdue = bucket
    keys: dict[str, Any] = {
        "department_id": dept,
        "assignee_key": assignee,
        "team_key": team,
        "state": state,
        "is_overdue": overdue,
    }
    if QueueCount.objects.filter(**keys).update(count=F("count") + delta):
        return
    row, _ = QueueCount.objects.get_or_create(**keys)
    QueueCount.objects.filter(pk=row.pk).update(count=F("count") + delta)


def lock_ticket(ticket: Ticket, expected_version: int | None) -> Ticket:
    """Re-read the ticket inside the transaction (row-locked where the database can)."""
    # Lock the bare row first: on PostgreSQL a locking SELECT with joins re-checks
    # the joins against the rows it saw before waiting, and after a concurrent
    # change it can lose the ticket or its assignee. Then read it with its relations.
    Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk", flat=True).get()
    fresh = Ticket.objects.select_related(
        "status", "department", "assignee__user", "team", "priority", "customer"
    ).get(pk=ticket.pk)
    if expected_version is not None and fresh.version != expected_version:
        raise Conflict(fresh)
    return fresh


class Change:
    """Collects field changes and events for one ticket, then writes them at once."""

    def __init__(self, ticket: Ticket, actor: Actor, now: datetime | None = None) -> None:
        self.ticket = ticket
        self.actor = actor
        self.now = now or timezone.now()
        self.fields: dict[str, Any] = {}
        self.events: list[Event] = []
        self._old_bucket = queue_bucket(ticket)

    def set(self, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(self.ticket, name, value)
            self.fields[name] = value

    def event(
        self,
        kind: EventKind,
        *,
        field: str = "",
        old: object = "",
        new: object = "",
        reason: str = "",
        data: dict[str, Any] | None = None,
        entry: Entry | None = None,
    ) -> None:
        """Record an event. `entry` is the thread entry it wrote (a reply, a note),
        kept in `data` so that mail and reports can find it."""
        data = _ids(old, new) if data is None else data
        if entry is not None:
            data = {**data, "entry": entry.pk}
        if isinstance(reason, Own):  # Helpline's words: translated when shown
            data = {**data, OWN_KEY: True}
        self.events.append(
            Event(
                ticket=self.ticket,
                kind=kind,
                agent=self.actor if isinstance(self.actor, Agent) else None,
                customer=self.actor if isinstance(self.actor, Customer) else None,
                actor_name=actor_name(self.actor)[:200],
                field=field,
                old_value=_display(old),
                new_value=_display(new),
                reason=reason,
                data=data,
                created_at=self.now,
            )
        )

    def save(self) -> Ticket:
        ticket = self.ticket
        rows = Ticket.objects.filter(pk=ticket.pk, version=ticket.version).update(
            **self.fields, updated_at=self.now, version=F("version") + 1
        )
        if rows != 1:  # only if someone slipped past the row lock; never overwrite
            raise Conflict(Ticket.objects.get(pk=ticket.pk))
        ticket.version += 1
        ticket.updated_at = self.now
        # Always in the same order, so two tickets crossing between the same two
        # buckets in opposite directions cannot deadlock on the counters.
        for bucket, delta in sorted(self.bucket_moves()):
            add_to_count(bucket, delta)
        write_events(self.events)
        return ticket

    def bucket_moves(self) -> list[tuple[tuple[int, int, int, str, bool], int]]:
        """The queue counters to change: none, or -1 for the ticket's bucket before
        and +1 for its bucket now."""
        new_bucket = queue_bucket(self.ticket)
        if new_bucket == self._old_bucket:
            return []
        return [(self._old_bucket, -1), (new_bucket, +1)]


def _ids(old: object, new: object) -> dict[str, Any]:
    """The ids behind an event's old and new values, for reports that group by them:
    {"old": id or None, "new": id} when a row was replaced, {"old": id} when one
    was taken away, {} when the values are plain text."""
    ids: dict[str, Any] = {}
    if isinstance(old, Model) or (old is None and isinstance(new, Model)):
        ids["old"] = old.pk if old is not None else None
    if isinstance(new, Model):
        ids["new"] = new.pk
    return ids


def _display(value: object) -> str:
    if value is None:
        return ""
    return str(value)[:255]


def write_events(events: list[Event]) -> None:
    if not events:
        return
    announce(Event.objects.bulk_create(events))


def announce(created: list[Event]) -> None:
    """Tell the receivers about events written just now in the open transaction
    (`events_recorded`), and after it commits (`events_committed`): the events of
    one change to one ticket, or of one change to each of several tickets (the
    SLA sweep's batch), which receivers tell apart by their ticket."""
    events_recorded.send(sender=Event, events=created)
    ids = [e.pk for e in created if e.pk is not None]
    transaction.on_commit(lambda: events_committed.send(sender=Event, event_ids=ids))


# --- bodies ---------------------------------------------------------------------------
#
# Sanitizing is the one CPU-heavy step of a change (milliseconds for ordinary mail,
# up to a few hundred for the largest body the bounds let through). It runs in
# `prepare_body`, which every lifecycle function that takes a body calls BEFORE
# `transaction.atomic()`: on SQLite the write lock is held from the first write to
# the commit, and every other writer of the site waits behind it (issue 9, where a
# 440 KB mail held it for minutes). Inside the transaction only the prepared,
# already safe body is stored.

ORIGINAL_FILENAME = "original-message.html"
EMPTY_MESSAGE = gettext_noop("The message is empty; write something or attach a file.")


@dataclass(frozen=True)
class Body:
    """A message ready to store: `html` is safe and at most MAX_BODY_CHARS long;
    `uploads` are the caller's files, plus the original message when the body had
    to be shortened or turned into text (so nothing anybody sent is lost).

    A channel that opens a transaction of its own around a lifecycle call (to
    create the customer with the ticket) prepares the Body before it and passes it
    as the body: the lifecycle then stores it as it is."""

    html: SafeHTML
    uploads: tuple[Upload, ...] = ()

    @cached_property
    def text(self) -> str:
        """The plain text (routing rules read it, mail repeats it); computed once,
        and `html_to_text` remembers it for the outbox, which reads the same body
        back inside the transaction."""
        return html_to_text(self.html)


def _fit(text: str) -> SafeHTML:
    """`text` as HTML paragraphs, cut so that they fit the stored size."""
    return text_to_html(fit_text(text, MAX_BODY_CHARS - 4096))  # room for the note


def prepare_body(
    body_html: str | Body,
    uploads: Sequence[Upload] = (),
    *,
    empty: str = EMPTY_MESSAGE,
    require_text: bool = False,
) -> Body:
    """Sanitize and bound a message body, and render its text; call it before the
    transaction opens. A Body prepared already is returned as it is (with
    `uploads` added, if any).

    HTML beyond lib.html's bounds is never parsed: its text is kept instead. A body
    over MAX_BODY_CHARS is cut to its text's beginning. Either way the entry starts
    with a note that says so, and the original is attached. Refuses a body without
    text (and without files, unless `require_text`)."""
    if isinstance(body_html, Body):
        return Body(body_html.html, (*body_html.uploads, *uploads)) if uploads else body_html
    body = _prepare(body_html, uploads, empty=empty, require_text=require_text)
    if not isinstance(body_html, SafeHTML):
        # Parsed just now, so outside any transaction: render the text here too.
        body.text  # noqa: B018 - computes and keeps it
    return body


def _prepare(body_html: str, uploads: Sequence[Upload], *, empty: str, require_text: bool) -> Body:
    problem = "" if isinstance(body_html, SafeHTML) else check_html(body_html)
    html = _fit(strip_tags(body_html)) if problem else sanitize(body_html, checked=True)
    if is_blank(html) and (require_text or not uploads):
        raise Refused(_(empty))
    if len(html) > MAX_BODY_CHARS:
        problem = _(
            "The message was {size:,} characters long; Helpline keeps {limit:,}, so only "
            "the beginning of its text is shown here."
        ).format(size=len(html), limit=MAX_BODY_CHARS)
        html = _fit(html_to_text(html))
    if not problem:
        return Body(html, tuple(uploads))
    note = _("{problem} The whole message is attached as {filename}.").format(
        problem=problem, filename=ORIGINAL_FILENAME
    )
    original = Upload(ORIGINAL_FILENAME, "text/html", body_html.encode("utf-8", "replace"))
    # Both parts are safe: the note is escaped by format_html.
    return Body(SafeHTML(format_html("<p><em>{}</em></p>", note) + html), (*uploads, original))


def add_entry(
    ticket: Ticket,
    *,
    kind: EntryKind,
    actor: Actor,
    body: Body,
    now: datetime,
    source: str = Source.WEB,
    is_resolution: bool = False,
) -> Entry:
    """Store a prepared body (see `prepare_body`): no parsing happens here."""
    entry = Entry.objects.create(
        ticket=ticket,
        kind=kind,
        agent=actor if isinstance(actor, Agent) else None,
        customer=actor if isinstance(actor, Customer) else None,
        author_name=actor_name(actor)[:200],
        body=str(body.html),
        source=source,
        is_resolution=is_resolution,
        created_at=now,
    )
    _attach(entry, body.uploads)
    return entry


def _attach(entry: Entry, uploads: Iterable[Upload]) -> None:
    from django.core.files.base import ContentFile

    for upload in uploads:
        attachment = Attachment(
            entry=entry,
            filename=upload.filename[:255],
            content_type=upload.content_type[:120] or "application/octet-stream",
            size=len(upload.content),
            content_id=upload.content_id[:200],
        )
        attachment.file.save(upload.filename, ContentFile(upload.content), save=False)
        attachment.save()


def recount_queues() -> None:
    """Rebuild the queue counters from the tickets (after bulk changes outside the
    lifecycle, such as deleting an agent or a team, which empties their tickets'
    assignee by SET_NULL)."""
    from django.db.models import Count

    with transaction.atomic():
        QueueCount.objects.all().delete()
        rows = (
            Ticket.objects.values("department_id", "assignee_id", "team_id", "state", "is_overdue")
            .annotate(n=Count("id"))
            .order_by()
        )
        QueueCount.objects.bulk_create(
            QueueCount(
                department_id=r["department_id"],
                assignee_key=r["assignee_id"] or 0,
                team_key=r["team_id"] or 0,
                state=r["state"],
                is_overdue=r["is_overdue"],
                count=r["n"],
            )
            for r in rows
        )
