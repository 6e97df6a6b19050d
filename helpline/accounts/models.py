"""People: users who log in, customers, agents, departments and teams.

A `User` is a login. A `Customer` is somebody who asks for help (they may never log
in: guests reach their tickets through signed links). An `Agent` is staff; which
tickets an agent may see and change is decided by their role and their
`DepartmentAccess` rows (see `helpline.accounts.permissions`).

Nothing here cascades into tickets: deleting or deactivating an agent leaves every
ticket in place (the ticket's assignee becomes empty, its history keeps the name).

Automatic assignment (see `helpline.automation.assignment`) is configured here: a
department's or team's `assignment_mode`, an agent's `max_open_tickets` and weekly
`AgentShift`s, and one `AssignmentCursor` row per scope that remembers the
round-robin position and is the lock that keeps concurrent picks fair.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from helpline.sla.models import WeeklySpan


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
    name = models.CharField(max_length=200, unique=True)
    domain = models.CharField(
        max_length=200, blank=True, help_text="Email domain of its people, e.g. example.com"
    )

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    language = language_field()
    # The language of the portal when the customer last opened a ticket or replied
    # there: their mail is written in it while they have chosen none.
    last_language = models.CharField(max_length=10, blank=True, editable=False)

    class Meta:
        constraints = [
            # One customer per address, whatever its case: intake looks customers up by it.
            models.UniqueConstraint(Lower("email"), name="customer_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    SUPERVISOR = "supervisor", "Supervisor"
    AGENT = "agent", "Agent"


class AssignmentMode(models.TextChoices):
    """How a department or team hands out new tickets (helpline.automation.assignment)."""

    NONE = "none", "No automatic assignment"
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_LOADED = "least_loaded", "Least loaded"


class Department(models.Model):
    name = models.CharField(max_length=120, unique=True)
    manager = models.ForeignKey(
        "Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
    )
    sla = models.ForeignKey(
        "sla.SLAPlan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name="SLA plan",
        help_text="Used when the help topic names none.",
    )
    is_public = models.BooleanField(default=True, help_text="Customers may see its name.")
    autorespond = models.BooleanField(
        default=True, help_text="Send the new-ticket autoresponse to customers."
    )
    auto_close_days = models.PositiveSmallIntegerField(
        "close resolved tickets after (days)",
        null=True,
        blank=True,
        help_text="Resolved tickets without a customer reply close after this many days; "
        "empty never closes them automatically.",
    )
    reopen_window_days = models.PositiveSmallIntegerField(
        "reopen window (days)",
        null=True,
        blank=True,
        help_text="A customer's reply up to this many days after the ticket was resolved or "
        "closed reopens it; a later reply opens a new ticket linked to the old one. Empty "
        "always reopens.",
    )
    assignment_mode = models.CharField(
        max_length=20,
        choices=AssignmentMode.choices,
        default=AssignmentMode.NONE,
        help_text="Who gets a new ticket: among agents with access here who are active, "
        "not on vacation, on shift and under their cap.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="agent")
    role = models.CharField(
        max_length=20,
        choices=Role.choices,
        default=Role.AGENT,
        help_text="Administrators see and change everything; otherwise the role "
        "applies in each department the agent has access to, unless that access names "
        "another.",
    )
    departments = models.ManyToManyField(
        Department, through="DepartmentAccess", related_name="agents", blank=True
    )
    is_on_vacation = models.BooleanField(default=False)
    signature = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, blank=True, help_text="e.g. Europe/Berlin")
    language = language_field()
    max_open_tickets = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Cap for automatic assignment: no new tickets while this many open "
        "tickets are assigned to the agent. Empty means no cap.",
    )

    class Meta:
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

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="access")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="access")
    role = models.CharField(
        max_length=20,
        choices=[(Role.SUPERVISOR.value, "Supervisor"), (Role.AGENT.value, "Agent")],
        blank=True,
        help_text="Leave empty to use the agent's own role.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "department"], name="access_unique"),
        ]
        verbose_name_plural = "department access"

    def __str__(self) -> str:
        return f"{self.agent} → {self.department}"


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    lead = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    members = models.ManyToManyField(Agent, related_name="teams", blank=True)
    is_active = models.BooleanField(default=True)
    assignment_mode = models.CharField(
        max_length=20,
        choices=AssignmentMode.choices,
        default=AssignmentMode.NONE,
        help_text="Used instead of the department's when a ticket goes to this team: "
        "picks among its members who are eligible in the ticket's department.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentShift(WeeklySpan):
    """A span of an agent's weekly working hours, wall-clock time in the agent's zone.

    Several per day are allowed (a lunch break); they must not overlap. An agent
    with no shifts at all is always available (see `helpline.accounts.availability`).
    """

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="shifts")

    noun = "shift"

    class Meta:
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

    # "department:<id>" or "team:<id>" (see automation.assignment.scope_of).
    scope = models.CharField(max_length=40, unique=True)
    # The agent who got the scope's last ticket; the next round starts after them.
    last_agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.scope} → {self.last_agent_id or '-'}"
