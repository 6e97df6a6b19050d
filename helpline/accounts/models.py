"""People: users who log in, customers, agents, departments and teams.

A `User` is a login. A `Customer` is somebody who asks for help (they may never log
in: guests reach their tickets through signed links). An `Agent` is staff; which
tickets an agent may see and change is decided by their role and their
`DepartmentAccess` rows (see `helpline.tickets.permissions`).

Nothing here cascades into tickets: deleting or deactivating an agent leaves every
ticket in place (the ticket's assignee becomes empty, its history keeps the name).

Automatic assignment (see `helpline.tickets.lifecycle.auto_assignment`) is configured here: a
department's or team's `assignment_mode`, an agent's `max_open_tickets` and weekly
`AgentShift`s, and one `AssignmentCursor` row per scope that remembers the
round-robin position and is the lock that keeps concurrent picks fair.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpline.calendar.spans import WeeklySpan


def language_field() -> models.CharField:
    """A person's chosen language (helpline.accounts.language); blank: the browser's."""
    return models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: the language of the browser, else the site's default."),
    )


class User(AbstractUser):
    """A login. Agents log in with their username, customers with their email."""

    # True while the user has a confirmed authenticator app (a django-otp TOTP
    # device); kept in step by helpline.accounts.twofactor. A column of the row that
    # every request loads anyway, so the middleware that makes enrolled agents give
    # their second factor costs no query on the pages of those who are not enrolled.
    otp_enrolled = models.BooleanField(
        _("two-factor login"),
        default=False,
        editable=False,
        help_text=_("Signs in with a code from an authenticator app as well as the password."),
    )

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True, verbose_name=_("name"))
    domain = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Email domain of its people, e.g. example.com"),
        verbose_name=_("domain"),
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """Somebody who asks for help. Most have an email address; a caller logged by
    an agent on the phone may have none (`email` empty): such a customer gets no
    mail at all, and is told apart from others by their record, never by name."""

    name = models.CharField(max_length=200, verbose_name=_("name"))
    email = models.EmailField(
        max_length=254,
        blank=True,
        verbose_name=_("email"),
        help_text=_("Empty for a caller without an address: they get no mail from us."),
    )
    phone = models.CharField(max_length=40, blank=True, verbose_name=_("phone"))
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        verbose_name=_("organization"),
    )
    user = models.OneToOneField(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    language = language_field()
    # The language of the portal when the customer last opened a ticket or replied
    # there: their mail is written in it while they have chosen none.
    last_language = models.CharField(
        max_length=10, blank=True, editable=False, verbose_name=_("language last used")
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            # One customer per address, whatever its case: intake looks customers up by
            # it (accounts.customers.customers_with_email, whose query repeats the
            # condition so that this partial index serves it). Customers without an
            # address are as many as there are such callers.
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="customer_email_ci_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")


class AssignmentMode(models.TextChoices):
    """How a department or team hands out new tickets (lifecycle.auto_assignment)."""

    NONE = "none", _("No automatic assignment")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class Department(models.Model):
    name = models.CharField(max_length=120, unique=True, verbose_name=_("name"))
    manager = models.ForeignKey(
        "Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
        verbose_name=_("manager"),
    )
    sla = models.ForeignKey(
        "sla.SLAPlan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("SLA plan"),
        help_text=_("Used when the help topic names none."),
    )
    is_public = models.BooleanField(
        default=True, help_text=_("Customers may see its name."), verbose_name=_("public")
    )
    autorespond = models.BooleanField(
        default=True,
        help_text=_("Send the new-ticket autoresponse to customers."),
        verbose_name=_("autoresponse"),
    )
    auto_close_days = models.PositiveSmallIntegerField(
        _("close resolved tickets after (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Resolved tickets without a customer reply close after this many days; "
            "empty never closes them automatically."
        ),
    )
    reopen_window_days = models.PositiveSmallIntegerField(
        _("reopen window (days)"),
        null=True,
        blank=True,
        help_text=_(
            "A customer's reply up to this many days after the ticket was resolved or "
            "closed reopens it; a later reply opens a new ticket linked to the old one. Empty "
            "always reopens."
        ),
    )
    assignment_mode = models.CharField(
        max_length=20,
        choices=AssignmentMode.choices,
        default=AssignmentMode.NONE,
        help_text=_(
            "Who gets a new ticket: among agents with access here who are active, "
            "not on vacation, on shift and under their cap."
        ),
        verbose_name=_("assignment mode"),
    )

    signature = models.TextField(
        blank=True,
        verbose_name=_("signature"),
        help_text=_("Offered below its agents' replies, as an alternative to their own."),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def available(at: datetime | None = None) -> Q:
    """Agents who are at work at `at` (default now): not on vacation, and not
    away (or away only until a moment now past). Automatic assignment and
    agents' alerts both take only these."""
    at = at or timezone.now()
    back = Q(away=False) | Q(away_until__isnull=False, away_until__lte=at)
    return Q(is_on_vacation=False) & back


class Agent(models.Model):
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="agent", verbose_name=_("user")
    )
    role = models.CharField(
        max_length=20,
        choices=Role.choices,
        default=Role.AGENT,
        help_text=_(
            "Administrators see and change everything; otherwise the role "
            "applies in each department the agent has access to, unless that access names "
            "another."
        ),
        verbose_name=_("role"),
    )
    departments = models.ManyToManyField(
        Department,
        through="DepartmentAccess",
        related_name="agents",
        blank=True,
        verbose_name=_("departments"),
    )
    is_on_vacation = models.BooleanField(default=False, verbose_name=_("on vacation"))
    # The desk's "I'm away", the agent's own (an administrator's vacation flag
    # above is another matter): away until this moment (empty: until they say
    # they are back). Past it, the agent is back by itself: `available()` above,
    # not a job that clears the flag.
    away = models.BooleanField(default=False, verbose_name=_("away"))
    away_until = models.DateTimeField(null=True, blank=True, verbose_name=_("away until"))
    signature = models.TextField(blank=True, verbose_name=_("signature"))
    timezone = models.CharField(
        max_length=64, blank=True, help_text=_("e.g. Europe/Berlin"), verbose_name=_("timezone")
    )
    language = language_field()
    max_open_tickets = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Cap for automatic assignment: no new tickets while this many open "
            "tickets are assigned to the agent. Empty means no cap."
        ),
        verbose_name=_("maximum open tickets"),
    )

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["user__first_name", "user__last_name", "user__username"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        # Django's admin is the configuration UI for now: administrators only.
        admin = self.role == Role.ADMIN
        if self.user.is_staff != admin or self.user.is_superuser != admin:
            self.user.is_staff = self.user.is_superuser = admin
            self.user.save(update_fields=["is_staff", "is_superuser"])
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_away(self) -> bool:
        """Said away by the agent, and not back yet (see `available`)."""
        return self.away and (self.away_until is None or self.away_until > timezone.now())

    @property
    def is_unavailable(self) -> bool:
        """Away, or on vacation: what colleagues see beside the name."""
        return self.is_on_vacation or self.is_away

    @property
    def name(self) -> str:
        return self.user.display_name

    @property
    def is_active(self) -> bool:
        return self.user.is_active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class DepartmentAccess(models.Model):
    """An agent's access to one department, optionally with a role of its own there."""

    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="access", verbose_name=_("agent")
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="access", verbose_name=_("department")
    )
    role = models.CharField(
        max_length=20,
        choices=[(Role.SUPERVISOR.value, _("Supervisor")), (Role.AGENT.value, _("Agent"))],
        blank=True,
        help_text=_("Leave empty to use the agent's own role."),
        verbose_name=_("role"),
    )

    class Meta:
        verbose_name = _("department access")
        constraints = [
            models.UniqueConstraint(fields=["agent", "department"], name="access_unique"),
        ]
        verbose_name_plural = _("department access")

    def __str__(self) -> str:
        return f"{self.agent} → {self.department}"


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True, verbose_name=_("name"))
    lead = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        verbose_name=_("lead"),
    )
    members = models.ManyToManyField(
        Agent, related_name="teams", blank=True, verbose_name=_("members")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    assignment_mode = models.CharField(
        max_length=20,
        choices=AssignmentMode.choices,
        default=AssignmentMode.NONE,
        help_text=_(
            "Used instead of the department's when a ticket goes to this team: "
            "picks among its members who are eligible in the ticket's department."
        ),
        verbose_name=_("assignment mode"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentShift(WeeklySpan):
    """A span of an agent's weekly working hours, wall-clock time in the agent's zone.

    Several per day are allowed (a lunch break); they must not overlap. An agent
    with no shifts at all is always available (see `helpline.accounts.availability`).
    """

    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("agent")
    )

    overlaps_saved = _("%(span)s overlaps %(other)s; shifts on the same day must not overlap.")
    overlaps_another = _(
        "%(span)s overlaps another shift on the same day; shifts must not overlap."
    )

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["agent", "weekday", "start_time"]

    def siblings(self) -> models.QuerySet[Any] | None:
        if self.agent_id is None:
            return None
        return AgentShift.objects.filter(agent_id=self.agent_id, weekday=self.weekday)


class AssignmentCursor(models.Model):
    """Round-robin memory for one assignment scope, and the row its pickers lock.

    A row of its own rather than fields on Department/Team: `pick_agent` locks it
    FOR UPDATE while the caller's transaction creates and assigns a ticket. On
    PostgreSQL, inserting a ticket takes FOR KEY SHARE on its department (and team)
    row, which conflicts with FOR UPDATE, so locking the department row itself would
    make two concurrent openings deadlock (each holds KEY SHARE, each wants UPDATE),
    and would block admin edits of the department meanwhile. This row nothing else
    references or locks.
    """

    # "department:<id>" or "team:<id>" (see lifecycle.auto_assignment.scope_of).
    scope = models.CharField(max_length=40, unique=True, verbose_name=_("scope"))
    # The agent who got the scope's last ticket; the next round starts after them.
    last_agent = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last agent"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("assignment cursor")
        verbose_name_plural = _("assignment cursors")

    def __str__(self) -> str:
        return f"{self.scope} → {self.last_agent_id or '-'}"
