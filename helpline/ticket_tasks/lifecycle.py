"""The only write path for tasks, and the guard that keeps a ticket with open
tasks from being resolved or closed.

Each function takes keyword arguments and the acting agent, and in one
transaction: locks the task's ticket row and then the task's (always in that
order, the order the ticket's own changes take), checks permission
(`permissions`) and the transition, writes the change with a conditional UPDATE
on the task's version, and records a `TaskEvent` per change. Adding, finishing
and reopening a task also leave an event on the ticket (kind "edited", field
"task", `data` {"task": id, "action": ...}) so the ticket's timeline tells them;
those go through the core's `write_events`, so the receivers of `events_recorded`
(the search index, "I'm on it", the rollups, which count none of them) see them
as any change of the ticket. The ticket's row itself is not written: a task does
not bump the ticket's version (an agent's open ticket page stays current) or
move its SLA clock.

Why the ticket's lock: `closing_refusal` runs inside `resolve` and `close` after
they locked the ticket, and `add_task` and `reopen_task` check under the same
lock that the ticket is open. Without it a task added while another agent closes
the ticket could commit after the close had found no open task, leaving a closed
ticket with an open task.

Texts are plain (titles, descriptions, notes): nothing to sanitize, so nothing
CPU-heavy happens inside the transaction; they are bounded before it opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpline.accounts.models import Agent, Department, Team
from helpline.lib import bounds
from helpline.ticket_tasks.models import (
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Task,
    TaskEvent,
    TaskEventKind,
    TaskNote,
    TaskState,
)
from helpline.ticket_tasks.permissions import TaskRole as Role
from helpline.ticket_tasks.permissions import may_add, role_for
from helpline.tickets.lifecycle import Actor, LifecycleError, NotAllowed, Refused, actor_name
from helpline.tickets.lifecycle.core import Change, lock_ticket, refuse_archived, write_events
from helpline.tickets.models import EventKind, State, Ticket


class TaskConflict(LifecycleError):
    """The task changed since the person looked at it; `task` is how it is now."""

    def __init__(self, task: Task) -> None:
        super().__init__(
            _(
                "This task was changed by someone else while you were looking at it. "
                "Its current state is shown; check it and try again."
            )
        )
        self.task = task


class _Unset:
    """`edit_task(due_at=UNSET)`: leave the due date as it is (None removes it)."""


UNSET = _Unset()


# --- the guard the tickets core calls ---------------------------------------------------

MAX_NAMED = 5  # open tasks named in a refusal; the rest are counted


def closing_refusal(ticket: Ticket) -> str | None:
    """Why the ticket may not be resolved or closed now (its open tasks, named), or
    None. Registered with `helpline.tickets.lifecycle.hooks` in the app's ready():
    `resolve` and `close` call it under the ticket's lock, whoever asks (desk, API,
    mail, bulk actions, auto-close). One indexed query (`task_ticket_state`), a
    second only to count more than MAX_NAMED."""
    open_tasks = Task.objects.filter(ticket_id=ticket.pk, state=TaskState.OPEN)
    titles = list(
        open_tasks.order_by("created_at", "id").values_list("title", flat=True)[: MAX_NAMED + 1]
    )
    if not titles:
        return None
    values: dict[str, Any] = {"number": ticket.number, "tasks": ", ".join(titles[:MAX_NAMED])}
    if len(titles) > MAX_NAMED:
        values["more"] = more = open_tasks.count() - MAX_NAMED
        return (
            ngettext(
                "Ticket #%(number)s has open tasks: %(tasks)s and %(more)d more. "
                "Mark them done first.",
                "Ticket #%(number)s has open tasks: %(tasks)s and %(more)d more. "
                "Mark them done first.",
                more,
            )
            % values
        )
    return (
        ngettext(
            "Ticket #%(number)s has an open task: %(tasks)s. Mark it done first.",
            "Ticket #%(number)s has open tasks: %(tasks)s. Mark them done first.",
            len(titles),
        )
        % values
    )


# --- checks before the transaction ------------------------------------------------------


def clean_title(title: str) -> str:
    title = " ".join(title.replace("\x00", "").split())
    if not title:
        raise Refused(_("Give the task a title."))
    if len(title) > TITLE_MAX_LENGTH:
        raise Refused(
            _("A task's title has at most %(most)d characters.") % {"most": TITLE_MAX_LENGTH}
        )
    return title


def _clean_text(text: str, most: int) -> str:
    text = text.replace("\x00", "").strip()
    if len(text) > most:
        raise Refused(_("The text has at most %(most)d characters.") % {"most": most})
    return text


def _check_due(due_at: datetime | None) -> datetime | None:
    if due_at is None:
        return None
    if timezone.is_naive(due_at):
        raise Refused(_("The due date needs a time zone."))
    try:
        return bounds.check_datetime(due_at)
    except bounds.OutOfRange as error:
        raise Refused(str(error)) from None


def _check_assignees(agent: Agent | None, team: Team | None) -> None:
    if agent is not None and not agent.user.is_active:
        raise Refused(
            _("%(name)s cannot take tasks: their account is inactive.") % {"name": agent.name}
        )
    if team is not None and not team.is_active:
        raise Refused(_("The team %(name)s is inactive.") % {"name": team.name})


# --- locking and recording --------------------------------------------------------------


def _lock(task: Task, expected_version: int | None) -> Task:
    """The task read again inside the transaction, its ticket's row locked first
    and then its own (the ticket's lock is what the closing guard relies on)."""
    ticket = lock_ticket(Ticket(pk=task.ticket_id), None)
    # A list, not exists(): the SELECT ... FOR UPDATE must run as written.
    if not list(Task.objects.select_for_update().filter(pk=task.pk).values_list("pk", flat=True)):
        raise Refused(_("This task no longer exists."))
    fresh = Task.objects.select_related("department", "assignee__user", "team").get(pk=task.pk)
    fresh.ticket = ticket
    if expected_version is not None and fresh.version != expected_version:
        raise TaskConflict(fresh)
    return fresh


def _require(actor: Actor, task: Task, *, manage: bool) -> Agent:
    role = role_for(actor, task) if isinstance(actor, Agent) else None
    if role is None or (manage and role != Role.MANAGE):
        raise NotAllowed(_("You are not allowed to do that on this task."))
    assert isinstance(actor, Agent)
    return actor


def _when(moment: datetime | None) -> str:
    """A due date as events store it (as the ticket's own due-date events do)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _shown(value: object) -> str:
    return "" if value is None else str(value)[:255]


@dataclass
class _Change:
    """Collects one change's fields and events for a task, then writes them."""

    task: Task
    actor: Agent | None
    now: datetime

    def __post_init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.events: list[TaskEvent] = []
        self.on_ticket: list[str] = []  # actions to tell on the ticket's timeline

    def set(self, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(self.task, name, value)
            self.fields[name] = value

    def event(
        self,
        kind: TaskEventKind,
        *,
        field: str = "",
        old: object = "",
        new: object = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        self.events.append(
            TaskEvent(
                task=self.task,
                kind=kind,
                agent=self.actor,
                actor_name=actor_name(self.actor)[:200],
                field=field,
                old_value=_shown(old),
                new_value=_shown(new),
                data=data or {},
                created_at=self.now,
            )
        )

    def save(self, *, inserted: bool = False) -> Task:
        """Write the fields (unless the task was `inserted` with them just now), the
        task's events and the ticket's."""
        task = self.task
        if self.fields and not inserted:
            rows = Task.objects.filter(pk=task.pk, version=task.version).update(
                **self.fields, updated_at=self.now, version=F("version") + 1
            )
            if rows != 1:  # only if someone slipped past the row lock; never overwrite
                raise TaskConflict(Task.objects.select_related("ticket").get(pk=task.pk))
            task.version += 1
            task.updated_at = self.now
        TaskEvent.objects.bulk_create(self.events)
        if self.on_ticket:
            told = Change(task.ticket, self.actor, self.now)
            for action in self.on_ticket:
                told.event(
                    EventKind.EDITED,
                    field="task",
                    new=task.title,
                    data={"task": task.pk, "action": action},
                )
            # Events only: the ticket's row (its version, its clock) is not written.
            write_events(told.events)
        return task


def _assign_events(change: _Change, agent: Agent | None, team: Team | None) -> None:
    task = change.task
    if (agent.pk if agent else None) != task.assignee_id:
        old = task.assignee
        change.event(
            TaskEventKind.ASSIGNED,
            field="agent",
            old=old.name if old else "",
            new=agent.name if agent else "",
            data={"old": task.assignee_id, "new": agent.pk if agent else None},
        )
        change.set(assignee=agent)
    if (team.pk if team else None) != task.team_id:
        change.event(
            TaskEventKind.ASSIGNED,
            field="team",
            old=task.team.name if task.team else "",
            new=team.name if team else "",
            data={"old": task.team_id, "new": team.pk if team else None},
        )
        change.set(team=team)


# --- the changes ----------------------------------------------------------------------------


def add_task(
    ticket: Ticket,
    *,
    actor: Actor,
    title: str,
    description: str = "",
    department: Department | None = None,
    agent: Agent | None = None,
    team: Team | None = None,
    due_at: datetime | None = None,
) -> Task:
    """Add a task to an open ticket (the ticket's department unless another is
    given), assigned to an agent, a team, both or nobody yet."""
    title = clean_title(title)
    description = _clean_text(description, DESCRIPTION_MAX_LENGTH)
    due_at = _check_due(due_at)
    _check_assignees(agent, team)
    with transaction.atomic():
        ticket = lock_ticket(ticket, None)
        if not isinstance(actor, Agent) or not may_add(actor, ticket):
            raise NotAllowed(_("You are not allowed to add tasks to this ticket."))
        refuse_archived(ticket)
        if ticket.state != State.OPEN:
            raise Refused(_("This ticket is closed; reopen it before adding tasks."))
        now = timezone.now()
        task = Task(
            ticket=ticket,
            title=title,
            description=description,
            department=department or ticket.department,
            due_at=due_at,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        change = _Change(task, actor, now)
        change.event(TaskEventKind.CREATED, new=title)
        _assign_events(change, agent, team)
        change.on_ticket.append("created")
        task.save(force_insert=True)  # with its assignment: version 1, as created
        return change.save(inserted=True)


def edit_task(
    task: Task,
    *,
    actor: Actor,
    title: str | None = None,
    description: str | None = None,
    department: Department | None = None,
    due_at: datetime | _Unset | None = UNSET,
    expected_version: int | None = None,
) -> Task:
    """Change the title, description, department or due date (None as `due_at`
    removes it); one event per field changed."""
    title = clean_title(title) if title is not None else None
    description = (
        _clean_text(description, DESCRIPTION_MAX_LENGTH) if description is not None else None
    )
    due = _check_due(due_at) if not isinstance(due_at, _Unset) else None
    with transaction.atomic():
        task = _lock(task, expected_version)
        agent = _require(actor, task, manage=True)
        refuse_archived(task.ticket)
        change = _Change(task, agent, timezone.now())
        if title is not None and title != task.title:
            change.event(TaskEventKind.EDITED, field="title", old=task.title, new=title)
            change.set(title=title)
        if description is not None and description != task.description:
            change.event(
                TaskEventKind.EDITED, field="description", old=task.description, new=description
            )
            change.set(description=description)
        if department is not None and department.pk != task.department_id:
            change.event(
                TaskEventKind.EDITED,
                field="department",
                old=task.department.name,
                new=department.name,
                data={"old": task.department_id, "new": department.pk},
            )
            change.set(department=department)
        if not isinstance(due_at, _Unset) and due != task.due_at:
            change.event(TaskEventKind.EDITED, field="due", old=_when(task.due_at), new=_when(due))
            change.set(due_at=due)
        if not change.events:
            raise Refused(_("Nothing was changed."))
        return change.save()


def assign_task(
    task: Task,
    *,
    actor: Actor,
    agent: Agent | None,
    team: Team | None,
    expected_version: int | None = None,
) -> Task:
    """Give an open task to an agent, a team, both, or (both None) nobody."""
    _check_assignees(agent, team)
    with transaction.atomic():
        task = _lock(task, expected_version)
        manager = _require(actor, task, manage=True)
        refuse_archived(task.ticket)
        if not task.is_open:
            raise Refused(_("This task is done; reopen it to assign it."))
        change = _Change(task, manager, timezone.now())
        _assign_events(change, agent, team)
        if not change.events:
            raise Refused(_("The task is already assigned that way."))
        return change.save()


def finish_task(task: Task, *, actor: Actor, expected_version: int | None = None) -> Task:
    """Mark an open task done: its manager, its assignee, its team's members or its
    department's agents may."""
    with transaction.atomic():
        task = _lock(task, expected_version)
        agent = _require(actor, task, manage=False)
        refuse_archived(task.ticket)
        if not task.is_open:
            raise Refused(_("This task is already done."))
        change = _Change(task, agent, timezone.now())
        change.event(TaskEventKind.DONE, field="state", old=TaskState.OPEN, new=TaskState.DONE)
        change.set(state=TaskState.DONE, done_at=change.now, done_by=agent)
        change.on_ticket.append("done")
        return change.save()


def reopen_task(task: Task, *, actor: Actor, expected_version: int | None = None) -> Task:
    """Open a done task again, while its ticket is open (a resolved or closed
    ticket is reopened first: it may not hold open tasks)."""
    with transaction.atomic():
        task = _lock(task, expected_version)
        agent = _require(actor, task, manage=False)
        refuse_archived(task.ticket)
        if task.is_open:
            raise Refused(_("This task is open already."))
        if task.ticket.state != State.OPEN:
            raise Refused(
                _("Ticket #%(number)s is closed; reopen it before reopening its tasks.")
                % {"number": task.ticket.number}
            )
        change = _Change(task, agent, timezone.now())
        change.event(TaskEventKind.REOPENED, field="state", old=TaskState.DONE, new=TaskState.OPEN)
        change.set(state=TaskState.OPEN, done_at=None, done_by=None)
        change.on_ticket.append("reopened")
        return change.save()


def add_task_note(task: Task, *, actor: Actor, text: str) -> TaskNote:
    """A note in the task's thread, open or done (plain text)."""
    text = _clean_text(text, NOTE_MAX_LENGTH)
    if not text:
        raise Refused(_("The note is empty; write something."))
    with transaction.atomic():
        task = _lock(task, None)
        agent = _require(actor, task, manage=False)
        refuse_archived(task.ticket)
        now = timezone.now()
        note = TaskNote.objects.create(
            task=task, agent=agent, author_name=agent.name[:200], body=text, created_at=now
        )
        change = _Change(task, agent, now)
        change.event(TaskEventKind.NOTE, data={"note": note.pk})
        change.save()
        return note
