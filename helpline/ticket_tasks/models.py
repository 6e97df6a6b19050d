"""Tasks, their notes and history, and the task templates of help topics.

Task state machine (all writes go through `helpline.ticket_tasks.lifecycle`):

    open ──done──▶ done
      ▲              │
      └───reopen─────┘   (only while the ticket is open)

A task belongs to one ticket. While any of a ticket's tasks is open, the ticket
cannot be resolved or closed (`lifecycle.closing_refusal`, registered with the
tickets core). Tasks do not touch the ticket's row: adding or finishing one does
not bump the ticket's version or its last-update time, and does not stop or move
its SLA clock (docs/metrics.md, "Tasks inside tickets").
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpline.accounts.models import Agent, Department, Team
from helpline.tickets.models import HelpTopic, Ticket

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 10_000
NOTE_MAX_LENGTH = 20_000


class TaskState(models.TextChoices):
    OPEN = "open", pgettext_lazy("task state", "Open")
    DONE = "done", pgettext_lazy("task state", "Done")


class Task(models.Model):
    """One piece of work on a ticket. `description` and the notes are plain text,
    shown escaped (no HTML is ever stored here)."""

    # No index of its own: `task_ticket_state` starts with it.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="tasks",
        db_index=False,
        verbose_name=_("ticket"),
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH, verbose_name=_("title"))
    description = models.TextField(
        blank=True, max_length=DESCRIPTION_MAX_LENGTH, verbose_name=_("description")
    )
    # The department whose work it is (the ticket's unless chosen): its agents may
    # work the task even when the ticket is another department's.
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    # No indexes of their own: `task_assignee_open` and `task_team_open` start with them.
    assignee = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        verbose_name=_("team"),
    )
    due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("due at"))
    state = models.CharField(
        max_length=10, choices=TaskState.choices, default=TaskState.OPEN, verbose_name=_("state")
    )
    # The template it was made from, if any (a help topic's, when the ticket opened).
    template = models.ForeignKey(
        "TaskTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("template"),
    )
    created_by = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))
    done_at = models.DateTimeField(null=True, blank=True, verbose_name=_("done at"))
    done_by = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("done by"),
    )
    # Bumped by every change; a change made against an older version is refused.
    version = models.PositiveIntegerField(default=1, verbose_name=_("version"))

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["created_at", "id"]
        indexes = [
            # A ticket's tasks (the ticket page's card) and its open ones (the
            # closing guard, on every resolve and close).
            models.Index(fields=["ticket", "state"], name="task_ticket_state"),
            # "My tasks": an agent's open tasks by due time, and their teams'.
            models.Index(fields=["assignee", "state", "due_at"], name="task_assignee_open"),
            models.Index(fields=["team", "state", "due_at"], name="task_team_open"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == TaskState.OPEN


class TaskNote(models.Model):
    """One note in a task's own thread (agents only, plain text)."""

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="notes", verbose_name=_("task")
    )
    agent = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent"),
    )
    # The author's name when written, so the thread reads right after people leave.
    author_name = models.CharField(max_length=200, verbose_name=_("author name"))
    body = models.TextField(max_length=NOTE_MAX_LENGTH, verbose_name=_("body"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("task note")
        verbose_name_plural = _("task notes")
        ordering = ["created_at", "id"]
        indexes = [
            # The task page's thread, in order.
            models.Index(fields=["task", "created_at"], name="tasknote_task_created"),
        ]

    def __str__(self) -> str:
        return f"Note by {self.author_name}"


class TaskEventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("task event", "Created")
    ASSIGNED = "assigned", pgettext_lazy("task event", "Assigned")
    NOTE = "note", pgettext_lazy("task event", "Note added")
    DONE = "done", pgettext_lazy("task event", "Marked done")
    REOPENED = "reopened", pgettext_lazy("task event", "Reopened")
    EDITED = "edited", pgettext_lazy("task event", "Edited")


class TaskEvent(models.Model):
    """One change to a task: its history on the task page. Creating, finishing and
    reopening a task also leave an event on the ticket (kind "edited", field
    "task"), so the ticket's timeline tells them too."""

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="events", verbose_name=_("task")
    )
    kind = models.CharField(max_length=20, choices=TaskEventKind.choices, verbose_name=_("kind"))
    agent = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent"),
    )
    actor_name = models.CharField(max_length=200, verbose_name=_("actor name"))
    field = models.CharField(max_length=40, blank=True, verbose_name=_("field"))
    old_value = models.CharField(max_length=255, blank=True, verbose_name=_("old value"))
    new_value = models.CharField(max_length=255, blank=True, verbose_name=_("new value"))
    # Ids behind the values ({"old": id, "new": id}), and {"template": id} for a
    # task made from a help topic's template.
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("task event")
        verbose_name_plural = _("task events")
        ordering = ["created_at", "id"]
        indexes = [
            # The task page's history, in order.
            models.Index(fields=["task", "created_at"], name="taskevent_task_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_name}"


class TaskTemplate(models.Model):
    """A task every new ticket on a help topic gets when it opens (a "new employee"
    ticket: create the account, order the laptop). Changing a template changes
    only the tickets opened after."""

    topic = models.ForeignKey(
        HelpTopic,
        on_delete=models.CASCADE,
        related_name="task_templates",
        verbose_name=_("help topic"),
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH, verbose_name=_("title"))
    description = models.TextField(
        blank=True, max_length=DESCRIPTION_MAX_LENGTH, verbose_name=_("description")
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the ticket's department."),
        verbose_name=_("department"),
    )
    assignee = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: nobody until an agent assigns it."),
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("team"),
    )
    due_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Due this many hours after the ticket opens (48 for two days, clock hours); "
            "empty: no due date."
        ),
        verbose_name=_("due after (hours)"),
    )
    order = models.PositiveSmallIntegerField(default=100, verbose_name=_("order"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        verbose_name = _("task template")
        verbose_name_plural = _("task templates")
        ordering = ["topic", "order", "id"]

    def __str__(self) -> str:
        return f"{self.topic}: {self.title}"
