"""People: users who log in, customers, agents, departments and teams.

A `User` is a login. A `Customer` is somebody who asks for help (they may never log
in: guests reach their tickets through signed links). An `Agent` is staff; which
tickets an agent may see and change is decided by their role and their
`DepartmentAccess` rows (see `helpline.accounts.permissions`).

Nothing here cascades into tickets: deleting or deactivating an agent leaves every
ticket in place (the ticket's assignee becomes empty, its history keeps the name).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """A login. Agents log in with their username, customers with their email."""

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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
