"""Tickets, their thread, their events, and the reference data they point at.

Ticket state machine (code branches on `Status.state`, never on a status name):

    open ──resolve──▶ closed (status "Resolved") ──close──▶ closed (status "Closed")
      ▲  └────────────close────────────────────────────────────┘        │
      └───────────────reopen (agent, or the customer replying)──────────┘

Within the open state the status moves freely among the open-state statuses
(Open, In Progress, Pending Customer Reply, On Hold, and the team's own).
Archived tickets are read-only. All writes go through `helpline.tickets.lifecycle`.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpline.accounts.models import Agent, Customer, Department, Team
from helpline.tickets.defaults import display_name


class State(models.TextChoices):
    OPEN = "open", pgettext_lazy("ticket state", "Open")
    CLOSED = "closed", pgettext_lazy("ticket state", "Closed")
    ARCHIVED = "archived", pgettext_lazy("ticket state", "Archived")


class StatusPurpose(models.TextChoices):
    """What the lifecycle uses a status for; at most one status has each purpose."""

    NONE = "", "—"
    NEW = "new", _("New and reopened tickets")
    RESOLVED = "resolved", _("Resolving")
    CLOSED = "closed", _("Closing")


class Status(models.Model):
    name = models.CharField(max_length=60, unique=True, verbose_name=_("name"))
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.OPEN, verbose_name=_("state")
    )
    purpose = models.CharField(
        max_length=10, choices=StatusPurpose.choices, blank=True, verbose_name=_("purpose")
    )
    order = models.PositiveSmallIntegerField(default=100, verbose_name=_("order"))
    customer_label = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("What customers see; empty shows the name."),
        verbose_name=_("customer label"),
    )
    pauses_sla = models.BooleanField(
        _("pauses SLA clocks"),
        default=False,
        help_text=_("New SLA plans stop the clock on this status (each plan can change it)."),
    )

    class Meta:
        verbose_name = _("status")
        ordering = ["order", "name"]
        verbose_name_plural = _("statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose"], condition=~Q(purpose=""), name="status_purpose_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name for agents to read: translated while it is a shipped default."""
        return display_name(self.name)

    @property
    def public_name(self) -> str:
        """The name customers read: the admin's customer label as typed, else the
        name (translated while it is a shipped default)."""
        return self.customer_label or display_name(self.name)


class Priority(models.Model):
    name = models.CharField(max_length=40, unique=True, verbose_name=_("name"))
    urgency = models.PositiveSmallIntegerField(
        unique=True, help_text=_("Higher is more urgent."), verbose_name=_("urgency")
    )
    color = models.CharField(max_length=7, default="#64748b", verbose_name=_("color"))
    is_default = models.BooleanField(default=False, verbose_name=_("is default"))

    class Meta:
        verbose_name = _("priority")
        ordering = ["urgency"]
        verbose_name_plural = _("priorities")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name to read: translated while it is a shipped default."""
        return display_name(self.name)


class HelpTopic(models.Model):
    name = models.CharField(max_length=120, unique=True, verbose_name=_("name"))
    is_public = models.BooleanField(
        default=True,
        help_text=_("Customers can pick it on the portal."),
        verbose_name=_("is public"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="topics",
        verbose_name=_("department"),
    )
    priority = models.ForeignKey(
        Priority, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("priority")
    )
    sla = models.ForeignKey(
        "sla.SLAPlan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("SLA plan"),
    )
    order = models.PositiveSmallIntegerField(default=100, verbose_name=_("order"))
    autorespond = models.BooleanField(
        default=True,
        help_text=_("Send the new-ticket autoresponse to the customer."),
        verbose_name=_("autorespond"),
    )
    assign_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("New tickets on this topic go to this team."),
        verbose_name=_("assign team"),
    )
    assign_agent = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "New tickets on this topic go to this agent (instead of automatic assignment)."
        ),
        verbose_name=_("assign agent"),
    )

    class Meta:
        verbose_name = _("help topic")
        verbose_name_plural = _("help topics")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class TopicField(models.Model):
    """An extra question a help topic asks the customer."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Short text")
        TEXTAREA = "textarea", _("Long text")
        CHOICE = "choice", pgettext_lazy("question kind", "Choice")
        NUMBER = "number", pgettext_lazy("question kind", "Number")
        DATE = "date", pgettext_lazy("question kind", "Date")

    topic = models.ForeignKey(
        HelpTopic, on_delete=models.CASCADE, related_name="fields", verbose_name=_("topic")
    )
    key = models.SlugField(
        max_length=60, help_text=_("Stored name, e.g. asset_tag"), verbose_name=_("key")
    )
    label = models.CharField(max_length=120, verbose_name=_("label"))
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.TEXT, verbose_name=_("kind")
    )
    required = models.BooleanField(default=False, verbose_name=_("required"))
    choices = models.TextField(
        blank=True, help_text=_("For a choice: one option per line."), verbose_name=_("choices")
    )
    help_text = models.CharField(max_length=200, blank=True, verbose_name=_("help text"))
    order = models.PositiveSmallIntegerField(default=100, verbose_name=_("order"))

    class Meta:
        verbose_name = _("topic field")
        verbose_name_plural = _("topic fields")
        ordering = ["order", "id"]

        constraints = [
            models.UniqueConstraint(fields=["topic", "key"], name="topic_field_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.topic}: {self.label}"

    @property
    def choice_list(self) -> list[str]:
        return [c.strip() for c in self.choices.splitlines() if c.strip()]


class Source(models.TextChoices):
    WEB = "web", pgettext_lazy("ticket source", "Web")
    EMAIL = "email", pgettext_lazy("ticket source", "Email")
    API = "api", pgettext_lazy("ticket source", "API")
    PHONE = "phone", pgettext_lazy("ticket source", "Phone")
    # Somebody at the desk in person (an IT service desk's counter).
    WALK_IN = "walk_in", pgettext_lazy("ticket source", "Walk-in")
    OTHER = "other", pgettext_lazy("ticket source", "Other")


class SLASource(models.TextChoices):
    RULE = "rule", _("Routing rule")
    MANUAL = "manual", _("Set by an agent")
    TOPIC = "topic", _("Help topic")
    DEPARTMENT = "department", _("Department")
    DEFAULT = "default", _("Default plan")


class IssuedNumber(models.Model):
    """Every ticket number ever handed out, so a number is never given twice.

    The unique index makes two concurrent openings that draw the same number
    collide; the loser draws again (see `lifecycle.opening._issue_number`). Rows stay when
    a ticket is deleted, so a number is never reused.
    """

    number = models.CharField(max_length=20, unique=True, verbose_name=_("number"))

    class Meta:
        verbose_name = _("issued number")
        verbose_name_plural = _("issued numbers")

    def __str__(self) -> str:
        return self.number


class TicketQuerySet(models.QuerySet["Ticket"]):
    def visible_to(self, agent: Agent) -> TicketQuerySet:
        """Tickets `agent` may see: all for administrators; else the tickets of the
        departments they have access to, plus those assigned to them or their teams.
        Every desk list starts here so permission filtering is never forgotten."""
        from helpline.tickets.permissions import visibility_filter

        return self.filter(visibility_filter(agent))


# The relations a ticket shown in a list reads (the search's results, the API's
# tickets): one select_related for all of them.
ROW_RELATIONS = (
    "customer",
    "status",
    "priority",
    "department",
    "topic",
    "assignee__user",
    "team",
    "sla",
    "follows",
)


class Ticket(models.Model):
    number = models.CharField(max_length=20, unique=True, verbose_name=_("number"))
    subject = models.CharField(max_length=255, verbose_name=_("subject"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer")
    )
    topic = models.ForeignKey(
        HelpTopic,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("topic"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("department")
    )
    assignee = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("team"),
    )
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, verbose_name=_("priority"))
    status = models.ForeignKey(Status, on_delete=models.PROTECT, verbose_name=_("status"))
    # Copied from status.state so that every queue filters on one indexed column.
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.OPEN, verbose_name=_("state")
    )
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.WEB, verbose_name=_("source")
    )
    # The number given with this ticket (the portal's or the phone ticket's form),
    # kept even when the customer's own differs: a guest typing a known address
    # may not change that customer's phone, and their number is not lost either.
    # NULL rather than "": adding a NOT NULL column makes Django copy the whole
    # tickets table on SQLite.
    contact_phone = models.CharField(  # noqa: DJ001 (see above)
        max_length=40, null=True, blank=True, verbose_name=_("phone given with the ticket")
    )
    sla = models.ForeignKey(
        "sla.SLAPlan", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("SLA plan")
    )
    sla_from = models.CharField(
        max_length=12,
        choices=SLASource.choices,
        blank=True,
        help_text=_("Where the plan came from: topic/department/default follow changes."),
        verbose_name=_("SLA from"),
    )
    # The SLA clock (see helpline.tickets.deadlines): started at opening or reopening,
    # stopped while paused, with the clock time spent paused added to its targets.
    sla_started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("SLA started at"))
    sla_paused_at = models.DateTimeField(null=True, blank=True, verbose_name=_("SLA paused at"))
    sla_paused_seconds = models.PositiveIntegerField(
        default=0, verbose_name=_("SLA paused seconds")
    )
    first_response_due_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("first response due at")
    )
    first_response_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("first response at")
    )
    first_response_breached = models.BooleanField(
        default=False, verbose_name=_("first response breached")
    )
    # The resolution target.
    due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("due at"))
    due_is_manual = models.BooleanField(default=False, verbose_name=_("due is manual"))
    resolution_breached = models.BooleanField(default=False, verbose_name=_("resolution breached"))
    # True while a missed target stands: first response missed and not yet
    # answered, or resolution missed. Cleared by answering or closing.
    is_overdue = models.BooleanField(default=False, verbose_name=_("is overdue"))
    # The next moment the SLA sweep must look at this ticket (a target plus grace,
    # or an escalation level); empty when nothing is pending or the clock is paused.
    sla_alarm_at = models.DateTimeField(null=True, blank=True, verbose_name=_("SLA alarm at"))
    escalation_level = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("escalation level")
    )
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
        help_text=_("The earlier ticket this one continues (a reply after the reopen window)."),
        verbose_name=_("follows"),
    )
    # Set while this ticket is merged into another (lifecycle.merging): it is then
    # closed, read-only, and its number finds the survivor. No index of the foreign
    # key's own (nearly every ticket is NULL): `ticket_merged_into` below holds only
    # the merged ones.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        related_name="merged_here",
        help_text=_("The ticket this one was merged into; its thread is there now."),
        verbose_name=_("merged into"),
    )
    extra = models.JSONField(
        default=dict, blank=True, help_text=_("Answers to topic fields."), verbose_name=_("extra")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    reopen_count = models.PositiveIntegerField(default=0, verbose_name=_("reopen count"))
    last_message_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last message at"))
    last_response_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("last response at")
    )
    # Bumped by every change; a change made against an older version is refused.
    version = models.PositiveIntegerField(default=1, verbose_name=_("version"))

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        # Queue pages sort by last update, newest first, with the id as tie-breaker;
        # ascending (updated_at, id) read backwards serves that order on SQLite and
        # PostgreSQL alike, with no sort step (tests/test_queue_indexes.py checks).
        indexes = [
            # "Open", "Overdue" and "Closed" for administrators and agents.
            models.Index(fields=["state", "updated_at", "id"], name="ticket_state_updated"),
            # The department filter.
            models.Index(
                fields=["department", "state", "updated_at", "id"],
                name="ticket_dept_state_updated",
            ),
            # "My Tickets" and the assignee filter.
            models.Index(
                fields=["assignee", "state", "updated_at", "id"], name="ticket_assignee_state_upd"
            ),
            # "Unassigned" (team is NULL) and the team filter.
            models.Index(
                fields=["team", "state", "updated_at", "id"], name="ticket_team_state_updated"
            ),
            # The other sorts of the queue pages (queues.SORTS), keyset pages read
            # one range per department, per agent or per team (helpline.tickets.
            # keyset): each leads with that column and the state, then the sort's
            # columns. An administrator's page without such a filter reads one range
            # per department rather than a whole-state copy of each index.
            # docs/decisions.md, "Desk queues: keyset pages and index-served sorts".
            *(
                models.Index(fields=[lead, "state", *columns], name=f"ticket_{short}_{sort}")
                for lead, short in (("department", "dept"), ("assignee", "asg"), ("team", "team"))
                for sort, columns in (
                    ("created", ["created_at", "id"]),  # Newest, Oldest
                    ("due", ["due_at", "id"]),  # Due soonest (no due time: a range of its own)
                    ("number", ["number"]),
                    ("prio", ["priority", "updated_at", "id"]),  # one range per priority
                )
            ),
            # "Overdue": its tickets in every sort, per department. Walking a
            # department's open tickets for the overdue ones in order reads more the
            # fewer they are; these hold only the overdue open tickets, so they are
            # small and cost only the writes of such tickets.
            *(
                models.Index(
                    fields=["department", *columns],
                    condition=Q(state=State.OPEN, is_overdue=True),
                    name=f"ticket_overdue_{sort}",
                )
                for sort, columns in (
                    ("updated", ["updated_at", "id"]),
                    ("created", ["created_at", "id"]),
                    ("due", ["due_at", "id"]),
                    ("number", ["number"]),
                    ("prio", ["priority", "updated_at", "id"]),
                )
            ),
            # The SLA sweep: open tickets whose alarm has rung, soonest first.
            models.Index(fields=["state", "sla_alarm_at"], name="ticket_state_alarm"),
            # Auto-close: resolved tickets by resolution time.
            models.Index(fields=["status", "resolved_at"], name="ticket_status_resolved"),
            # A customer's own ticket list on the portal.
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_created"),
            # A ticket's follow-ups (its page). The foreign key's own index holds
            # every ticket, nearly all with no `follows`: once ANALYZE has seen that,
            # SQLite judged it useless and scanned the whole table (4-7x slower ticket
            # pages at a million tickets). This one holds only the follow-ups.
            models.Index(
                fields=["follows"],
                condition=models.Q(follows__isnull=False),
                name="ticket_followups",
            ),
            # The tickets merged into one (its page, the undo) and a merged
            # number's survivor; only merged tickets are in it, as above.
            models.Index(
                fields=["merged_into"],
                condition=models.Q(merged_into__isnull=False),
                name="ticket_merged_into",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.state == State.OPEN

    @property
    def is_resolved(self) -> bool:
        return self.status.purpose == StatusPurpose.RESOLVED


class Collaborator(models.Model):
    """Somebody besides the customer who follows a ticket (a Cc on the first mail):
    they receive the replies and may write on the ticket."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="collaborators", verbose_name=_("ticket")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="following", verbose_name=_("customer")
    )
    added_at = models.DateTimeField(auto_now_add=True, verbose_name=_("added at"))

    class Meta:
        verbose_name = _("collaborator")
        verbose_name_plural = _("collaborators")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "customer"], name="collaborator_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} on {self.ticket}"


class EntryKind(models.TextChoices):
    MESSAGE = "message", _("Message")  # from the customer
    REPLY = "reply", _("Reply")  # from an agent, seen by the customer
    NOTE = "note", _("Internal note")  # agents only


class Entry(models.Model):
    """One message in a ticket's thread. `body` is sanitized HTML (see lib.html)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="entries", verbose_name=_("ticket")
    )
    kind = models.CharField(max_length=10, choices=EntryKind.choices, verbose_name=_("kind"))
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("agent")
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("customer")
    )
    # The author's name when written, so the thread reads right after people leave.
    author_name = models.CharField(max_length=200, verbose_name=_("author name"))
    body = models.TextField(verbose_name=_("body"))
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.WEB, verbose_name=_("source")
    )
    # A resolution explanation is a reply the customer sees, marked so the UI can
    # show it as the answer.
    is_resolution = models.BooleanField(default=False, verbose_name=_("is resolution"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    # The ticket whose thread this entry was in before a merge moved it here
    # (lifecycle.merging); undoing the merge moves back exactly these. NULL for
    # every entry written on its own ticket.
    merged_from = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        related_name="+",
        verbose_name=_("merged from"),
    )

    class Meta:
        verbose_name = _("entry")
        ordering = ["created_at", "id"]
        verbose_name_plural = _("entries")
        indexes = [
            # The ticket page's thread, in order.
            models.Index(fields=["ticket", "created_at"], name="entry_ticket_created"),
            # Undoing a merge: the entries it moved (only moved entries are in it).
            models.Index(
                fields=["merged_from"],
                condition=models.Q(merged_from__isnull=False),
                name="entry_merged_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.author_name}"

    @property
    def is_public(self) -> bool:
        return self.kind != EntryKind.NOTE


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random; the customer's file name is kept in `filename` only.
    import uuid

    return f"attachments/{instance.entry.ticket_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("entry")
    )
    # The entry's ticket, kept here for `has:attachment` (search.filters): one
    # probe of this index per ticket, where the entries' took one per entry (a
    # count at a million tickets, 196-223 ms against 50-70). Set on every save
    # from the entry; bulk writers (the generator) set it themselves.
    ticket = models.ForeignKey(
        "Ticket",
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    file = models.FileField(upload_to=attachment_path, max_length=255, verbose_name=_("file"))
    filename = models.CharField(max_length=255, verbose_name=_("filename"))
    content_type = models.CharField(max_length=120, verbose_name=_("content type"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    # Set when the entry's HTML shows the file inline (`<img src="cid:...">`): a
    # mail's inline picture, or one pasted into the desk's editor. The ticket pages
    # point such images at the file (tickets.templatetags.bodies).
    content_id = models.CharField(max_length=200, blank=True, verbose_name=_("content ID"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.ticket_id = self.entry.ticket_id
        super().save(*args, **kwargs)


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    ASSIGNED = "assigned", _("Assigned")
    RELEASED = "released", _("Released")
    TRANSFERRED = "transferred", _("Transferred")
    STATUS = "status", _("Status changed")
    REPLIED = "replied", _("Replied")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    NOTE = "note", _("Note added")
    RESOLVED = "resolved", pgettext_lazy("event", "Resolved")
    CLOSED = "closed", pgettext_lazy("event", "Closed")
    REOPENED = "reopened", _("Reopened")
    EDITED = "edited", _("Edited")
    OVERDUE = "overdue", _("Marked overdue")
    COLLABORATOR = "collaborator", _("Collaborator added")
    COLLABORATOR_REMOVED = "collaborator_removed", _("Collaborator removed")
    SLA = "sla", _("SLA changed")
    ESCALATED = "escalated", _("Escalated")
    ROUTED = "routed", _("Routing rule applied")
    UNASSIGNABLE = "unassignable", _("No agent available")
    LINKED = "linked", _("Follow-up ticket")
    RATED = "rated", _("Rated by the customer")
    HELD = "held", _("Mail held for review")
    HELD_ACCEPTED = "held_accepted", _("Held mail accepted")
    HELD_DISMISSED = "held_dismissed", _("Held mail dismissed")
    # Merging, linking and splitting (lifecycle.merging, lifecycle.linking).
    MERGED = "merged", _("Merged into another ticket")
    MERGED_IN = "merged_in", _("Another ticket merged in")
    UNMERGED = "unmerged", _("Merge undone")
    LINK_ADDED = "link_added", _("Link added")
    LINK_REMOVED = "link_removed", _("Link removed")
    SPLIT = "split", _("Message split off")


class Event(models.Model):
    """One change to a ticket: the audit log, the timeline and the reports' source."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices, verbose_name=_("kind"))
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("agent")
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("customer")
    )
    actor_name = models.CharField(max_length=200, verbose_name=_("actor name"))
    field = models.CharField(max_length=40, blank=True, verbose_name=_("field"))
    old_value = models.CharField(max_length=255, blank=True, verbose_name=_("old value"))
    new_value = models.CharField(max_length=255, blank=True, verbose_name=_("new value"))
    # Ids behind the old and new values, for reports that group by them.
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_created"),
            # Reports: events of one kind over a period.
            models.Index(fields=["kind", "created_at"], name="event_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_name}"


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related")
    # `TicketLink.ticket` is the parent, `TicketLink.other` the child.
    PARENT = "parent", _("Parent and child")


class TicketLink(models.Model):
    """Two tickets an agent linked (lifecycle.linking): related, or a parent and its
    child (an outage and the reports of it). Shown on both tickets' pages.

    At most one link joins two tickets, whichever way round (the lifecycle checks
    both ways under both tickets' locks); a child has at most one parent (the
    partial unique constraint), and no ticket is its own ancestor."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="links_from", verbose_name=_("ticket")
    )
    other = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="links_to", verbose_name=_("other ticket")
    )
    kind = models.CharField(max_length=10, choices=LinkKind.choices, verbose_name=_("kind"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "other"], name="ticketlink_unique"),
            models.UniqueConstraint(
                fields=["other"], condition=Q(kind="parent"), name="ticketlink_one_parent"
            ),
            models.CheckConstraint(
                condition=~Q(ticket=models.F("other")), name="ticketlink_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind} #{self.other_id}"


class QueueCount(models.Model):
    """How many tickets sit in one bucket of the queues; kept by the lifecycle.

    A bucket is (department, assignee, team, state, overdue). The dashboard sums
    buckets instead of counting tickets, so its counts cost the same at a million
    tickets as at ten. Rows are changed in the same transaction as the ticket.
    """

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, verbose_name=_("department")
    )
    # The assigned agent's id, 0 for none (a plain integer so the bucket key has no
    # NULL, which unique constraints treat differently on SQLite and PostgreSQL).
    assignee_key = models.BigIntegerField(verbose_name=_("assignee key"))
    # The team's id, 0 for none.
    team_key = models.BigIntegerField(verbose_name=_("team key"))
    state = models.CharField(max_length=10, choices=State.choices, verbose_name=_("state"))
    is_overdue = models.BooleanField(verbose_name=_("is overdue"))
    count = models.IntegerField(default=0, verbose_name=_("count"))

    class Meta:
        verbose_name = _("queue count")
        verbose_name_plural = _("queue counts")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "assignee_key", "team_key", "state", "is_overdue"],
                name="queuecount_bucket_unique",
            ),
        ]

    def __str__(self) -> str:
        bucket = (self.department_id, self.assignee_key, self.team_key, self.state)
        return f"{bucket}: {self.count}"


class HeldReply(models.Model):
    """A mail that claims to answer a ticket but could not be verified (no reply
    token of ours from a person on the ticket, or our mail server recorded that its
    sender failed authentication). It waits as an internal note (`note`) until an
    agent accepts it as the customer's reply or dismisses it; until then it changes
    nothing on the ticket. See helpline.tickets.lifecycle.held.

    States: held -> accepted (posted as the customer's reply, with all its effects)
                 -> dismissed (stays only as the note)
    """

    class State(models.TextChoices):
        HELD = "held", _("Held for review")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")

    class Reason(models.TextChoices):
        # Why it was not trusted; more than one may apply.
        STRANGER = "stranger", _("the sender is not the customer or a collaborator of this ticket")
        NO_TOKEN = (
            "no_token",
            _(
                "it does not answer mail we sent to a person on this ticket; "
                "it only names the ticket"
            ),
        )
        AUTH_FAILED = (
            "auth_failed",
            _("our mail server recorded that the sender's address failed authentication"),
        )

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="held_replies", verbose_name=_("ticket")
    )
    note = models.OneToOneField(
        Entry, on_delete=models.CASCADE, related_name="held_reply", verbose_name=_("note")
    )
    sender_name = models.CharField(max_length=200, blank=True, verbose_name=_("sender name"))
    sender_email = models.CharField(max_length=254, verbose_name=_("sender email"))
    # The sender's customer record, if they have one (who the reply is posted as
    # when they are on the ticket; otherwise it is posted as the ticket's customer).
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("customer"),
    )
    reasons = models.JSONField(
        default=list, help_text=_("Reason codes, see HeldReply.Reason."), verbose_name=_("reasons")
    )
    # E.g. the failed DMARC result.
    detail = models.CharField(max_length=500, blank=True, verbose_name=_("detail"))
    # The reply without our heading, sanitized like any entry.
    body = models.TextField(verbose_name=_("body"))
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.EMAIL, verbose_name=_("source")
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.HELD, verbose_name=_("state")
    )
    received_at = models.DateTimeField(verbose_name=_("received at"))
    decided_by = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))

    class Meta:
        verbose_name = _("held reply")
        verbose_name_plural = _("held replies")

    def __str__(self) -> str:
        return f"Mail from {self.sender_email} held on {self.ticket}"

    @property
    def reason_labels(self) -> list[str]:
        """Why it was held, in words, for the desk."""
        return [str(self.Reason(code).label) for code in self.reasons if code in self.Reason]

    @property
    def is_waiting(self) -> bool:
        return self.state == self.State.HELD


# --- Customer satisfaction ------------------------------------------------------
# One rating per resolution. When a ticket is resolved, its customer may rate that
# answer good, okay or bad, with an optional comment, once. Reopening and resolving
# again makes a new resolution, which may be rated on its own. Ratings are written
# by `helpline.tickets.lifecycle.rate` only, which also leaves a RATED event; the
# rating pages are in helpline.feedback, the figures in helpline.reports.

RATING_COMMENT_MAX_LENGTH = 2000


class Score(models.TextChoices):
    GOOD = "good", _("Good")
    OKAY = "okay", _("Okay")
    BAD = "bad", _("Bad")


class Rating(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("ticket")
    )
    # The RESOLVED event this rating answers: unique, so each resolution is rated once.
    resolution = models.OneToOneField(
        Event, on_delete=models.CASCADE, related_name="rating", verbose_name=_("resolution")
    )
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ratings",
        verbose_name=_("customer"),
    )
    # The agent who resolved, copied from the RESOLVED event so the reports and an
    # agent's own stats group by a column instead of reading events.
    agent = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ratings",
        verbose_name=_("agent"),
    )
    score = models.CharField(max_length=4, choices=Score.choices, verbose_name=_("score"))
    # Plain text.
    comment = models.TextField(
        max_length=RATING_COMMENT_MAX_LENGTH, blank=True, verbose_name=_("comment")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["created_at", "id"]
        indexes = [
            # Reports: the ratings given over a period (reports.metrics.ratings.summary).
            models.Index(fields=["created_at"], name="rating_created"),
            # An agent's own stats, the per-agent report rows (reports.metrics.ratings.for_agent).
            models.Index(fields=["agent", "created_at"], name="rating_agent_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_score_display()} on #{self.ticket_id}"
