"""SLA plans. The schedule is 24/7 for now; business hours come with the SLA issue."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models


class Schedule(models.TextChoices):
    ALWAYS = "24/7", "24/7"


class SLAPlan(models.Model):
    name = models.CharField(max_length=120, unique=True)
    grace_hours = models.PositiveIntegerField(
        help_text="Hours after opening (on the schedule) before the ticket is overdue."
    )
    schedule = models.CharField(max_length=20, choices=Schedule.choices, default=Schedule.ALWAYS)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(
        default=False, help_text="Used when neither the help topic nor the department names a plan."
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA plan"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_sla"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.grace_hours} h)"

    def due_from(self, start: datetime) -> datetime:
        """When a ticket opened at `start` becomes overdue under this plan."""
        return start + timedelta(hours=self.grace_hours)
