"""What the desk keeps of agents at work on a ticket, apart from the ticket's own
history: the reply or note each is writing (saved as they type), and who has
the ticket open (for the others to see). Neither is a change to the ticket:
they are written here, not through tickets.lifecycle, and tidied away
(helpline.desk.together.tidy)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Agent, Department, Team
from helpline.tickets.models import Ticket


class DraftKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")


class Draft(models.Model):
    """A reply or a note an agent has begun, one of each per agent and ticket:
    it survives a reload and another device, and goes once it is sent."""

    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="+", verbose_name=_("agent")
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    kind = models.CharField(max_length=5, choices=DraftKind.choices, verbose_name=_("kind"))
    body = models.TextField(verbose_name=_("text"))
    # The canned replies' files picked into a reply (their ids): kept with the
    # text, so a reload does not lose them without a word.
    canned_files = models.JSONField(default=list, blank=True, verbose_name=_("canned files"))
    updated_at = models.DateTimeField(verbose_name=_("saved at"))

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "agent", "kind"], name="desk_draft_one_per_kind"
            )
        ]
        indexes = [models.Index(fields=["updated_at"], name="desk_draft_updated")]

    def __str__(self) -> str:
        return f"{self.kind} draft of agent {self.agent_id} on ticket {self.ticket_id}"


class Presence(models.Model):
    """An agent with the ticket's page open (its page says so every few seconds),
    and what they are typing, if anything."""

    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="+", verbose_name=_("agent")
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    seen_at = models.DateTimeField(verbose_name=_("seen at"))
    typing = models.CharField(
        max_length=5, choices=DraftKind.choices, blank=True, verbose_name=_("typing")
    )
    typing_at = models.DateTimeField(null=True, blank=True, verbose_name=_("typing since"))

    class Meta:
        verbose_name = _("presence")
        verbose_name_plural = _("presences")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "agent"], name="desk_presence_one_per_agent")
        ]
        indexes = [models.Index(fields=["seen_at"], name="desk_presence_seen")]

    def __str__(self) -> str:
        return f"agent {self.agent_id} on ticket {self.ticket_id}"


class OnIt(models.Model):
    """An agent's "I'm on it" on a ticket (helpline.desk.on_it): colleagues see who
    is working on it, so that two do not pick it up at once. At most one per
    ticket. Not a change to the ticket (no event, no version): it ends when its
    agent says so, replies or releases the ticket, when the ticket is resolved,
    closed or transferred, when a colleague takes it over, or by itself
    (on_it.AWAY and on_it.IDLE)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="+", verbose_name=_("agent")
    )
    since = models.DateTimeField(verbose_name=_("since"))
    # The agent's last work on the ticket (started, opened the page, typed, changed it).
    active_at = models.DateTimeField(verbose_name=_("last active at"))
    # The agent's page of the ticket last said it was open (the presence poll).
    seen_at = models.DateTimeField(verbose_name=_("seen at"))
    # Who had it before a colleague took it over (they are told so on the page).
    taken_from = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("taken over from"),
    )

    class Meta:
        verbose_name = _("“On it” marker")
        verbose_name_plural = _("“On it” markers")
        constraints = [
            # Also the index of the queues' one read: ticket_id IN (the page's ids).
            models.UniqueConstraint(fields=["ticket"], name="desk_onit_one_per_ticket")
        ]

    def __str__(self) -> str:
        return f"agent {self.agent_id} on it on ticket {self.ticket_id}"


class Sharing(models.TextChoices):
    PERSONAL = "personal", _("Only me")
    DEPARTMENT = "department", _("A department")
    TEAM = "team", _("A team")


class Density(models.TextChoices):
    COMFORTABLE = "comfortable", _("Comfortable")
    COMPACT = "compact", _("Compact")


class SavedView(models.Model):
    """A queue as an agent shaped it (helpline.desk.saved_views): one of the
    queues, its filters, the columns in their order, the sort and the density.
    Its owner's alone, or shared with a department or a team, whose agents find it
    in their sidebar too. The filters are the queues' query parameters
    (tickets.queues.FILTERS, ids as text), so a view opens as a queue page does."""

    name = models.CharField(max_length=80, verbose_name=_("name"))
    owner = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="+", verbose_name=_("made by")
    )
    sharing = models.CharField(
        max_length=10,
        choices=Sharing.choices,
        default=Sharing.PERSONAL,
        verbose_name=_("shared with"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("department"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("team"),
    )
    queue = models.CharField(max_length=20, default="open", verbose_name=_("queue"))
    filters = models.JSONField(default=dict, blank=True, verbose_name=_("filters"))
    # Words and filters as typed in the search box (helpline.search.query): a view
    # with them lists what that search finds in its queue, newest first.
    search = models.CharField(max_length=500, blank=True, verbose_name=_("search"))
    columns = models.JSONField(default=list, verbose_name=_("columns"))
    sort = models.CharField(max_length=20, default="updated", verbose_name=_("sort"))
    density = models.CharField(
        max_length=12,
        choices=Density.choices,
        default=Density.COMFORTABLE,
        verbose_name=_("density"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(sharing="personal", department__isnull=True, team__isnull=True)
                    | models.Q(sharing="department", department__isnull=False, team__isnull=True)
                    | models.Q(sharing="team", department__isnull=True, team__isnull=False)
                ),
                name="desk_savedview_shared_with_one",
            )
        ]
        indexes = [
            models.Index(fields=["owner", "name"], name="desk_savedview_owner"),
            models.Index(
                fields=["department"],
                condition=models.Q(department__isnull=False),
                name="desk_savedview_department",
            ),
            models.Index(
                fields=["team"], condition=models.Q(team__isnull=False), name="desk_savedview_team"
            ),
        ]

    def __str__(self) -> str:
        return self.name
