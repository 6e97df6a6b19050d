"""The only write path for tickets.

Every channel (portal, desk, API, email, clock) calls one of these functions. Each
one takes keyword arguments and an actor, checks permission and the transition,
writes the change and its event rows in one transaction, keeps the queue counters
in step, and refuses with a `LifecycleError` whose message can be shown as is.

Concurrency: changes that overwrite a field take `expected_version`, the version
the person was looking at. If the ticket changed since, `Conflict` is raised and
carries the fresh ticket, so the person sees the new state and nothing is
silently overwritten. The write itself is a conditional UPDATE on the version,
so even callers that pass no version never lose an update.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from helpline.accounts.models import Agent, Customer, Department, Team
from helpline.accounts.permissions import Action, can, can_in_department
from helpline.lib.html import is_blank, sanitize
from helpline.sla.models import SLAPlan
from helpline.tickets.models import (
    Attachment,
    Entry,
    EntryKind,
    Event,
    EventKind,
    HelpTopic,
    IssuedNumber,
    Priority,
    QueueCount,
    Source,
    State,
    Status,
    StatusPurpose,
    Ticket,
)

Actor = Agent | Customer | None  # None is the system (clock, sweep)

# Sent after the transaction commits, with the events it wrote. Notifications and
# webhooks hook in here; nothing is sent from inside the transaction.
events_committed = Signal()


class LifecycleError(Exception):
    """A change was refused. The message is for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(LifecycleError):
    pass


class Refused(LifecycleError):
    """The transition is not possible from the ticket's current state."""


class Conflict(LifecycleError):
    def __init__(self, ticket: Ticket) -> None:
        super().__init__(
            "This ticket was changed by someone else while you were looking at it. "
            "Its current state is shown; check it and try again."
        )
        self.ticket = ticket


@dataclass(frozen=True)
class Upload:
    """A file to attach, already read and checked by the channel."""

    filename: str
    content_type: str
    content: bytes


# --- helpers ----------------------------------------------------------------------


def actor_name(actor: Actor) -> str:
    if isinstance(actor, Agent):
        return actor.name
    if isinstance(actor, Customer):
        return actor.name
    return "System"


def _require_agent(actor: Actor, action: Action, ticket: Ticket) -> Agent:
    if not isinstance(actor, Agent) or not can(actor, action, ticket):
        raise NotAllowed("You are not allowed to do that on this ticket.")
    return actor


def _status_for(purpose: StatusPurpose) -> Status:
    try:
        return Status.objects.get(purpose=purpose)
    except Status.DoesNotExist:
        raise Refused(
            f"No status is set up for “{purpose.label}”; an administrator must pick one."
        ) from None


def _bucket(ticket: Ticket) -> tuple[int, int, int, str, bool]:
    return (
        ticket.department_id,
        ticket.assignee_id or 0,
        ticket.team_id or 0,
        ticket.state,
        ticket.is_overdue,
    )


def _add_to_count(bucket: tuple[int, int, int, str, bool], delta: int) -> None:
    dept, assignee, team, state, overdue = bucket
    row, _ = QueueCount.objects.get_or_create(
        department_id=dept, assignee_key=assignee, team_key=team, state=state, is_overdue=overdue
    )
    QueueCount.objects.filter(pk=row.pk).update(count=F("count") + delta)


def _lock(ticket: Ticket, expected_version: int | None) -> Ticket:
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


class _Change:
    """Collects field changes and events for one ticket, then writes them at once."""

    def __init__(self, ticket: Ticket, actor: Actor, now: datetime | None = None) -> None:
        self.ticket = ticket
        self.actor = actor
        self.now = now or timezone.now()
        self.fields: dict[str, Any] = {}
        self.events: list[Event] = []
        self._old_bucket = _bucket(ticket)

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
    ) -> None:
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
                data=data or {},
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
        new_bucket = _bucket(ticket)
        if new_bucket != self._old_bucket:
            # Always in the same order, so two tickets crossing between the same
            # two buckets in opposite directions cannot deadlock on the counters.
            for bucket, delta in sorted([(self._old_bucket, -1), (new_bucket, +1)]):
                _add_to_count(bucket, delta)
        _write_events(self.events)
        return ticket


def _display(value: object) -> str:
    if value is None:
        return ""
    return str(value)[:255]


def _write_events(events: list[Event]) -> None:
    if not events:
        return
    created = Event.objects.bulk_create(events)
    ids = [e.pk for e in created if e.pk is not None]
    transaction.on_commit(lambda: events_committed.send(sender=Event, event_ids=ids))


def _add_entry(
    ticket: Ticket,
    *,
    kind: EntryKind,
    actor: Actor,
    body_html: str,
    now: datetime,
    source: str = Source.WEB,
    uploads: Sequence[Upload] = (),
    is_resolution: bool = False,
) -> Entry:
    body = sanitize(body_html)
    if is_blank(body) and not uploads:
        raise Refused("The message is empty; write something or attach a file.")
    entry = Entry.objects.create(
        ticket=ticket,
        kind=kind,
        agent=actor if isinstance(actor, Agent) else None,
        customer=actor if isinstance(actor, Customer) else None,
        author_name=actor_name(actor)[:200],
        body=body,
        source=source,
        is_resolution=is_resolution,
        created_at=now,
    )
    _attach(entry, uploads)
    return entry


def _attach(entry: Entry, uploads: Iterable[Upload]) -> None:
    from django.core.files.base import ContentFile

    for upload in uploads:
        attachment = Attachment(
            entry=entry,
            filename=upload.filename[:255],
            content_type=upload.content_type[:120] or "application/octet-stream",
            size=len(upload.content),
        )
        attachment.file.save(upload.filename, ContentFile(upload.content), save=False)
        attachment.save()


NUMBER_DIGITS = 6


def _issue_number() -> str:
    """A random number of six digits (osTicket's default shape), never used before.

    Two openings that draw the same number collide on IssuedNumber's unique index;
    the loser draws again. When six digits grow crowded the draw widens a digit, so
    a number is never reused even after a million tickets.
    """
    digits = NUMBER_DIGITS
    for attempt in range(1000):
        if attempt and attempt % 20 == 0:
            digits += 1
        number = f"{secrets.randbelow(10**digits):0{digits}d}"
        try:
            with transaction.atomic():
                IssuedNumber.objects.create(number=number)
        except IntegrityError:
            continue
        return number
    raise RuntimeError("could not draw a free ticket number")  # pragma: no cover


def _sla_for(topic: HelpTopic | None, department: Department) -> SLAPlan | None:
    if topic is not None and topic.sla_id and topic.sla and topic.sla.is_active:
        return topic.sla
    if department.sla_id and department.sla and department.sla.is_active:
        return department.sla
    return SLAPlan.objects.filter(is_default=True, is_active=True).first()


# --- opening ------------------------------------------------------------------------


def open_ticket(
    *,
    actor: Actor,
    customer: Customer,
    subject: str,
    body_html: str,
    source: str = Source.WEB,
    topic: HelpTopic | None = None,
    department: Department | None = None,
    priority: Priority | None = None,
    extra: dict[str, Any] | None = None,
    uploads: Sequence[Upload] = (),
    assignee: Agent | None = None,
    team: Team | None = None,
) -> Ticket:
    """Open a ticket for `customer`. The actor is the customer (portal), an agent
    opening on a customer's behalf (phone), or None (system channels)."""
    subject = " ".join(subject.split())
    if not subject:
        raise Refused("A subject is required.")
    if isinstance(actor, Customer):
        if actor.pk != customer.pk:
            raise NotAllowed("Customers open tickets only for themselves.")
        if topic is None:  # customers pick a topic; a department alone is no topic
            raise Refused("Choose a help topic.")
        if not (topic.is_public and topic.is_active):
            raise Refused("That help topic is not available.")
        department = priority = None  # customers pick a topic, not routing
        assignee = team = None
    if topic is None and department is None:
        raise Refused("Choose a help topic.")
    department = department or (topic.department if topic else None)
    assert department is not None
    if isinstance(actor, Agent) and not can_in_department(actor, Action.REPLY, department.pk):
        raise NotAllowed(f"You have no access to the {department} department.")
    priority = (
        priority
        or (topic.priority if topic else None)
        or Priority.objects.filter(is_default=True).first()
        or Priority.objects.order_by("urgency").first()
    )
    if priority is None:
        raise Refused("No priorities are set up.")
    status = _status_for(StatusPurpose.NEW)
    now = timezone.now()
    sla = _sla_for(topic, department)
    with transaction.atomic():
        ticket = Ticket.objects.create(
            number=_issue_number(),
            subject=subject[:255],
            customer=customer,
            topic=topic,
            department=department,
            priority=priority,
            status=status,
            state=status.state,
            source=source,
            sla=sla,
            due_at=sla.due_from(now) if sla else None,
            extra=extra or {},
            created_at=now,
            updated_at=now,
            last_message_at=now,
        )
        _add_to_count(_bucket(ticket), +1)
        # The first message is the customer's account of the problem, even when an
        # agent typed it during a phone call; the event records who opened it.
        _add_entry(
            ticket,
            kind=EntryKind.MESSAGE,
            actor=customer,
            body_html=body_html,
            now=now,
            source=source,
            uploads=uploads,
        )
        change = _Change(ticket, actor, now)
        change.event(
            EventKind.CREATED,
            new=ticket.subject,
            data={
                "source": source,
                "department": department.pk,
                "topic": topic.pk if topic else None,
                "priority": priority.pk,
            },
            reason=f"Opened by {actor_name(actor)} for {customer.name}"
            if isinstance(actor, Agent)
            else "",
        )
        _write_events(change.events)
        if assignee is not None or team is not None:
            assert isinstance(actor, Agent)
            ticket = assign(ticket, actor=actor, agent=assignee, team=team)
    return ticket


# --- assignment -----------------------------------------------------------------------


def assign(
    ticket: Ticket,
    *,
    actor: Actor,
    agent: Agent | None = None,
    team: Team | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Assign to an agent and/or a team. Assigning to oneself is claiming."""
    if agent is None and team is None:
        raise Refused("Choose an agent or a team to assign to.")
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        claiming = (
            isinstance(actor, Agent)
            and agent is not None
            and agent.pk == actor.pk
            and team is None
            # Taking a colleague's ticket is reassigning, not claiming.
            and ticket.assignee_id in (None, actor.pk)
        )
        if claiming:
            _require_agent(actor, Action.CLAIM, ticket)
        else:
            _require_agent(actor, Action.ASSIGN, ticket)
        if not ticket.is_open:
            raise Refused("Closed tickets cannot be assigned; reopen it first.")
        if agent is not None:
            if not agent.user.is_active:
                raise Refused(f"{agent} is not active.")
            if not agent.is_admin and not can_in_department(
                agent, Action.VIEW, ticket.department_id
            ):
                raise Refused(f"{agent} has no access to the {ticket.department} department.")
        if team is not None and not team.is_active:
            raise Refused(f"The team {team} is not active.")
        change = _Change(ticket, actor)
        if agent is not None and agent.pk != ticket.assignee_id:
            change.event(
                EventKind.ASSIGNED,
                field="agent",
                old=ticket.assignee,
                new=agent,
                reason=reason,
                data={"old": ticket.assignee_id, "new": agent.pk},
            )
            change.set(assignee=agent)
        if team is not None and team.pk != ticket.team_id:
            change.event(
                EventKind.ASSIGNED,
                field="team",
                old=ticket.team,
                new=team,
                reason=reason,
                data={"old": ticket.team_id, "new": team.pk},
            )
            change.set(team=team)
        if not change.events:
            raise Refused("The ticket is already assigned that way.")
        return change.save()


def claim(ticket: Ticket, *, actor: Agent, expected_version: int | None = None) -> Ticket:
    return assign(ticket, actor=actor, agent=actor, expected_version=expected_version)


def release(
    ticket: Ticket,
    *,
    actor: Actor,
    agent: bool = True,
    team: bool = False,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Take the ticket away from its agent (and/or team) back to the unassigned pool."""
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        releasing_self = isinstance(actor, Agent) and ticket.assignee_id == actor.pk and not team
        _require_agent(actor, Action.RELEASE if releasing_self else Action.ASSIGN, ticket)
        change = _Change(ticket, actor)
        if agent and ticket.assignee_id:
            change.event(
                EventKind.RELEASED,
                field="agent",
                old=ticket.assignee,
                reason=reason,
                data={"old": ticket.assignee_id},
            )
            change.set(assignee=None)
        if team and ticket.team_id:
            change.event(
                EventKind.RELEASED,
                field="team",
                old=ticket.team,
                reason=reason,
                data={"old": ticket.team_id},
            )
            change.set(team=None)
        if not change.events:
            raise Refused("The ticket is not assigned.")
        return change.save()


def transfer(
    ticket: Ticket,
    *,
    actor: Actor,
    department: Department,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Move the ticket to another department. An assignee without access there is
    released, so the ticket never sits with somebody who cannot see it."""
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        agent = _require_agent(actor, Action.TRANSFER, ticket)
        if department.pk == ticket.department_id:
            raise Refused(f"The ticket is already in {department}.")
        if not agent.is_admin and not can_in_department(agent, Action.VIEW, department.pk):
            raise NotAllowed(f"You have no access to the {department} department.")
        change = _Change(ticket, actor)
        change.event(
            EventKind.TRANSFERRED,
            field="department",
            old=ticket.department,
            new=department,
            reason=reason,
            data={"old": ticket.department_id, "new": department.pk},
        )
        change.set(department=department)
        assignee = ticket.assignee
        if (
            assignee is not None
            and not assignee.is_admin
            and not can_in_department(assignee, Action.VIEW, department.pk)
        ):
            change.event(
                EventKind.RELEASED,
                field="agent",
                old=assignee,
                reason=f"No access to {department}",
                data={"old": assignee.pk},
            )
            change.set(assignee=None)
        return change.save()


# --- thread ------------------------------------------------------------------------------


def reply(
    ticket: Ticket,
    *,
    actor: Actor,
    body_html: str,
    uploads: Sequence[Upload] = (),
    status: Status | None = None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Ticket:
    """An agent's answer to the customer. Answering an unassigned ticket claims it.

    `status` optionally moves the ticket to another open status in the same step;
    the version is checked only then, since a reply alone overwrites nothing.
    """
    with transaction.atomic():
        ticket = _lock(ticket, expected_version if status is not None else None)
        agent = _require_agent(actor, Action.REPLY, ticket)
        if not ticket.is_open:
            raise Refused("This ticket is closed; reopen it before replying.")
        change = _Change(ticket, actor)
        _add_entry(
            ticket,
            kind=EntryKind.REPLY,
            actor=actor,
            body_html=body_html,
            now=change.now,
            source=source,
            uploads=uploads,
        )
        change.event(EventKind.REPLIED)
        change.set(last_response_at=change.now)
        # Answering an unassigned ticket claims it, for an agent who may hold it
        # (a team member from outside the department answers without claiming).
        if ticket.assignee_id is None and (
            agent.is_admin or can_in_department(agent, Action.VIEW, ticket.department_id)
        ):
            change.event(
                EventKind.ASSIGNED,
                field="agent",
                new=agent,
                reason="Claimed by replying",
                data={"old": None, "new": agent.pk},
            )
            change.set(assignee=agent)
        if status is not None and status.pk != ticket.status_id:
            _move_status(change, status)
        return change.save()


def add_note(
    ticket: Ticket,
    *,
    actor: Actor,
    body_html: str,
    uploads: Sequence[Upload] = (),
    source: str = Source.WEB,
) -> Ticket:
    """An internal note: agents only, never shown to the customer. Allowed on closed
    tickets too, since notes record what happened after the fact."""
    with transaction.atomic():
        ticket = _lock(ticket, None)
        _require_agent(actor, Action.NOTE, ticket)
        if ticket.state == State.ARCHIVED:
            raise Refused("Archived tickets cannot be changed.")
        change = _Change(ticket, actor)
        _add_entry(
            ticket,
            kind=EntryKind.NOTE,
            actor=actor,
            body_html=body_html,
            now=change.now,
            source=source,
            uploads=uploads,
        )
        change.event(EventKind.NOTE)
        return change.save()


def customer_reply(
    ticket: Ticket,
    *,
    actor: Customer,
    body_html: str,
    uploads: Sequence[Upload] = (),
    source: str = Source.WEB,
) -> Ticket:
    """The customer writes on their ticket. On a resolved or closed ticket this
    reopens it: back to the "new" status, counted in reopen_count."""
    with transaction.atomic():
        ticket = _lock(ticket, None)
        if not isinstance(actor, Customer) or actor.pk != ticket.customer_id:
            raise NotAllowed("You can only write on your own tickets.")
        if ticket.state == State.ARCHIVED:
            raise Refused("This ticket is archived; please open a new ticket.")
        change = _Change(ticket, actor)
        _add_entry(
            ticket,
            kind=EntryKind.MESSAGE,
            actor=actor,
            body_html=body_html,
            now=change.now,
            source=source,
            uploads=uploads,
        )
        change.event(EventKind.CUSTOMER_REPLIED)
        change.set(last_message_at=change.now)
        if not ticket.is_open:
            _reopen(change, _status_for(StatusPurpose.NEW), reason="The customer replied")
        return change.save()


# --- status -------------------------------------------------------------------------------


def _move_status(change: _Change, status: Status) -> None:
    ticket = change.ticket
    if status.state != State.OPEN:
        raise Refused(f"Use Resolve or Close to move a ticket to “{status}”.")
    change.event(
        EventKind.STATUS,
        field="status",
        old=ticket.status,
        new=status,
        data={"old": ticket.status_id, "new": status.pk},
    )
    change.set(status=status, state=status.state)


def change_status(
    ticket: Ticket,
    *,
    actor: Actor,
    status: Status,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Move an open ticket among the open statuses (In Progress, On Hold, ...)."""
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        _require_agent(actor, Action.STATUS, ticket)
        if not ticket.is_open:
            raise Refused("This ticket is closed; reopen it first.")
        if status.pk == ticket.status_id:
            raise Refused(f"The ticket is already “{status}”.")
        change = _Change(ticket, actor)
        _move_status(change, status)
        if reason:
            change.events[-1].reason = reason
        return change.save()


def change_priority(
    ticket: Ticket,
    *,
    actor: Actor,
    priority: Priority,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        _require_agent(actor, Action.PRIORITY, ticket)
        if ticket.state == State.ARCHIVED:
            raise Refused("Archived tickets cannot be changed.")
        if priority.pk == ticket.priority_id:
            raise Refused(f"The priority is already {priority}.")
        change = _Change(ticket, actor)
        change.event(
            EventKind.EDITED,
            field="priority",
            old=ticket.priority,
            new=priority,
            reason=reason,
            data={"old": ticket.priority_id, "new": priority.pk},
        )
        change.set(priority=priority)
        return change.save()


def edit(
    ticket: Ticket,
    *,
    actor: Actor,
    subject: str | None = None,
    topic: HelpTopic | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Change the subject and/or the help topic (the department stays: use transfer)."""
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        _require_agent(actor, Action.EDIT, ticket)
        if ticket.state == State.ARCHIVED:
            raise Refused("Archived tickets cannot be changed.")
        change = _Change(ticket, actor)
        if subject is not None:
            subject = " ".join(subject.split())[:255]
            if not subject:
                raise Refused("The subject cannot be empty.")
            if subject != ticket.subject:
                change.event(
                    EventKind.EDITED,
                    field="subject",
                    old=ticket.subject,
                    new=subject,
                    reason=reason,
                )
                change.set(subject=subject)
        if topic is not None and topic.pk != ticket.topic_id:
            change.event(
                EventKind.EDITED,
                field="topic",
                old=ticket.topic,
                new=topic,
                reason=reason,
                data={"old": ticket.topic_id, "new": topic.pk},
            )
            change.set(topic=topic)
        if not change.events:
            raise Refused("Nothing was changed.")
        return change.save()


def resolve(
    ticket: Ticket,
    *,
    actor: Actor,
    explanation_html: str,
    uploads: Sequence[Upload] = (),
    expected_version: int | None = None,
) -> Ticket:
    """Mark an open ticket resolved. The explanation is a reply the customer sees."""
    if is_blank(sanitize(explanation_html)):
        raise Refused("Explain the resolution: the customer will read it.")
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        _require_agent(actor, Action.RESOLVE, ticket)
        if not ticket.is_open:
            raise Refused("Only open tickets can be resolved.")
        status = _status_for(StatusPurpose.RESOLVED)
        change = _Change(ticket, actor)
        _add_entry(
            ticket,
            kind=EntryKind.REPLY,
            actor=actor,
            body_html=explanation_html,
            now=change.now,
            uploads=uploads,
            is_resolution=True,
        )
        change.event(
            EventKind.RESOLVED,
            field="status",
            old=ticket.status,
            new=status,
            data={"old": ticket.status_id, "new": status.pk},
        )
        change.set(
            status=status,
            state=status.state,
            resolved_at=change.now,
            last_response_at=change.now,
            is_overdue=False,
        )
        return change.save()


def close(
    ticket: Ticket,
    *,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Close a ticket, resolved or still open (spam, duplicates, no answer)."""
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        if actor is not None:
            _require_agent(actor, Action.CLOSE, ticket)
        status = _status_for(StatusPurpose.CLOSED)
        if ticket.status_id == status.pk:
            raise Refused("The ticket is already closed.")
        if ticket.state == State.ARCHIVED:
            raise Refused("Archived tickets cannot be changed.")
        if not ticket.is_open and not ticket.is_resolved:
            raise Refused("Only open or resolved tickets can be closed.")
        change = _Change(ticket, actor)
        change.event(
            EventKind.CLOSED,
            field="status",
            old=ticket.status,
            new=status,
            reason=reason,
            data={"old": ticket.status_id, "new": status.pk},
        )
        change.set(status=status, state=status.state, closed_at=change.now, is_overdue=False)
        return change.save()


def _reopen(change: _Change, status: Status, reason: str) -> None:
    ticket = change.ticket
    change.event(
        EventKind.REOPENED,
        field="status",
        old=ticket.status,
        new=status,
        reason=reason,
        data={"old": ticket.status_id, "new": status.pk},
    )
    sla = ticket.sla
    change.set(
        status=status,
        state=status.state,
        reopen_count=ticket.reopen_count + 1,
        resolved_at=None,
        closed_at=None,
        due_at=sla.due_from(change.now) if sla else None,
        is_overdue=False,
    )


def reopen(
    ticket: Ticket,
    *,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """An agent reopens a resolved or closed ticket."""
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        _require_agent(actor, Action.REOPEN, ticket)
        if ticket.state != State.CLOSED:
            raise Refused(
                "Only resolved or closed tickets can be reopened."
                if ticket.is_open
                else "Archived tickets cannot be reopened."
            )
        change = _Change(ticket, actor)
        _reopen(change, _status_for(StatusPurpose.NEW), reason=reason)
        return change.save()


def mark_overdue(ticket: Ticket, *, now: datetime | None = None) -> Ticket:
    """The clock marks an open ticket overdue once its due time has passed."""
    with transaction.atomic():
        ticket = _lock(ticket, None)
        now = now or timezone.now()
        if not ticket.is_open or ticket.is_overdue or ticket.due_at is None:
            raise Refused("The ticket is not due.")
        if ticket.due_at > now:
            raise Refused("The ticket is not due yet.")
        change = _Change(ticket, None)  # `now` decides; the change is stamped now
        change.event(EventKind.OVERDUE, field="overdue", old=False, new=True)
        change.set(is_overdue=True)
        return change.save()


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
