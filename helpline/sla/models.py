"""SLA plans and the business schedules they run on.

A plan without a business schedule runs 24/7: its due time is the start plus its
hours. With one, the hours count only while the schedule is open (see
`helpline.sla.schedule` for the exact rules, daylight saving included).

`SLAPlan.schedule` is derived from `business_schedule` on save ("24/7" or
"business"), and a check constraint keeps the two consistent, so lists and filters
can show the kind of schedule without a join.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models

from helpline.sla.schedule import (
    Closure,
    ScheduleView,
    Span,
    add_business_hours,
    find_overlap,
    seconds_of,
)

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


def validate_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            "%(name)s is not a known time zone; use an IANA name such as Europe/Berlin.",
            params={"name": name},
        ) from exc


class BusinessSchedule(models.Model):
    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="IANA time zone, for example Europe/Berlin or America/New_York.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"

    def as_view(self) -> ScheduleView:
        """A plain snapshot of the schedule for the business-hours math."""
        spans = tuple(
            Span(s.weekday, seconds_of(s.start_time) or 0, seconds_of(s.end_time, end=True) or 0)
            for s in self.spans.all()
        )
        closures = tuple(
            Closure(
                h.date,
                h.yearly,
                seconds_of(h.start_time),
                seconds_of(h.end_time, end=True),
            )
            for h in self.holidays.all()
        )
        return ScheduleView(self.time_zone, spans, closures, name=f"Schedule {self.name!r}")


def _check_times(start: time, end: time) -> None:
    if (seconds_of(end, end=True) or 0) <= (seconds_of(start) or 0):
        raise ValidationError(
            {"end_time": "The end must be after the start (00:00 means midnight)."}
        )


class ScheduleSpan(models.Model):
    """An opening span on one weekday; several per day are allowed (a lunch break)."""

    schedule = models.ForeignKey(BusinessSchedule, on_delete=models.CASCADE, related_name="spans")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start_time = models.TimeField()
    end_time = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["schedule", "weekday", "start_time"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def key(self) -> tuple[int, int, int]:
        return (
            self.weekday,
            seconds_of(self.start_time) or 0,
            seconds_of(self.end_time, end=True) or 0,
        )

    def clean(self) -> None:
        if self.start_time is None or self.end_time is None or self.weekday is None:
            return
        _check_times(self.start_time, self.end_time)
        if self.schedule_id is None:
            return
        others = ScheduleSpan.objects.filter(schedule_id=self.schedule_id, weekday=self.weekday)
        for other in others.exclude(pk=self.pk):
            if find_overlap([self.key(), other.key()]):
                raise ValidationError(
                    f"{self} overlaps {other}; spans on the same day must not overlap."
                )


class Holiday(models.Model):
    """A closed day, or the closed part of a day, on a date or every year."""

    schedule = models.ForeignKey(
        BusinessSchedule, on_delete=models.CASCADE, related_name="holidays"
    )
    name = models.CharField(max_length=120)
    date = models.DateField()
    start_time = models.TimeField(
        null=True, blank=True, help_text="Closed from; leave both times empty for the whole day."
    )
    end_time = models.TimeField(null=True, blank=True, help_text="Closed until; 00:00 is midnight.")
    yearly = models.BooleanField(default=False, help_text="Every year on the same month and day.")

    class Meta:
        ordering = ["schedule", "date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date})"

    def clean(self) -> None:
        if (self.start_time is None) != (self.end_time is None):
            raise ValidationError(
                "Give both a start and an end time for a partial day, or neither for a full day."
            )
        if self.start_time is not None and self.end_time is not None:
            _check_times(self.start_time, self.end_time)


class Schedule(models.TextChoices):
    ALWAYS = "24/7", "24/7"
    BUSINESS = "business", "Business hours"


class SLAPlan(models.Model):
    name = models.CharField(max_length=120, unique=True)
    grace_hours = models.PositiveIntegerField(
        help_text="Hours after opening (on the schedule) before the ticket is overdue."
    )
    schedule = models.CharField(
        max_length=20,
        choices=Schedule.choices,
        default=Schedule.ALWAYS,
        editable=False,
        help_text="Derived: business hours when a business schedule is set, else 24/7.",
    )
    business_schedule = models.ForeignKey(
        BusinessSchedule,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
        help_text="Empty means the plan runs 24/7.",
    )
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
            models.CheckConstraint(
                condition=(
                    models.Q(schedule=Schedule.ALWAYS, business_schedule__isnull=True)
                    | models.Q(schedule=Schedule.BUSINESS, business_schedule__isnull=False)
                ),
                name="sla_schedule_matches_business_schedule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.grace_hours} h)"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.schedule = Schedule.BUSINESS if self.business_schedule_id else Schedule.ALWAYS
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "business_schedule" in update_fields:
            kwargs["update_fields"] = {*update_fields, "schedule"}
        super().save(*args, **kwargs)

    @property
    def time_zone(self) -> str:
        return self.business_schedule.time_zone if self.business_schedule else "UTC"

    def due_from(self, start: datetime) -> datetime:
        """When a ticket opened at `start` becomes overdue under this plan."""
        if self.business_schedule is None:
            return start + timedelta(hours=self.grace_hours)
        return add_business_hours(start, self.grace_hours, self.business_schedule.as_view())
