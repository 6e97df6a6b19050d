"""SLA plans and the business schedules they run on.

A plan without a business schedule runs 24/7: its due time is the start plus its
hours. With one, the hours count only while the schedule is open (see
`helpline.calendar.schedule` for the exact rules, daylight saving included).

`SLAPlan.schedule` is derived from `business_schedule` on save ("24/7" or
"business"), and a check constraint keeps the two consistent, so lists and filters
can show the kind of schedule without a join.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext, gettext_lazy

from helpline.calendar.schedule import (
    Closure,
    ScheduleView,
    Span,
    add_business_hours,
    business_seconds_between,
    seconds_of,
)
from helpline.calendar.spans import WeeklySpan, check_times


def validate_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            gettext_lazy(
                "%(name)s is not a known time zone; use an IANA name such as Europe/Berlin."
            ),
            params={"name": name},
        ) from exc


class BusinessSchedule(models.Model):
    name = models.CharField(max_length=120, unique=True, verbose_name=gettext_lazy("name"))
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text=gettext_lazy("IANA time zone, for example Europe/Berlin or America/New_York."),
        verbose_name=gettext_lazy("time zone"),
    )

    class Meta:
        verbose_name = gettext_lazy("business schedule")
        verbose_name_plural = gettext_lazy("business schedules")
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


class ScheduleSpan(WeeklySpan):
    """An opening span of a business schedule on one weekday."""

    schedule = models.ForeignKey(
        BusinessSchedule,
        on_delete=models.CASCADE,
        related_name="spans",
        verbose_name=gettext_lazy("schedule"),
    )

    class Meta:
        verbose_name = gettext_lazy("schedule span")
        verbose_name_plural = gettext_lazy("schedule spans")
        ordering = ["schedule", "weekday", "start_time"]

    def siblings(self) -> models.QuerySet[Any] | None:
        if self.schedule_id is None:
            return None
        return ScheduleSpan.objects.filter(schedule_id=self.schedule_id, weekday=self.weekday)


class Holiday(models.Model):
    """A closed day, or the closed part of a day, on a date or every year."""

    schedule = models.ForeignKey(
        BusinessSchedule,
        on_delete=models.CASCADE,
        related_name="holidays",
        verbose_name=gettext_lazy("schedule"),
    )
    name = models.CharField(max_length=120, verbose_name=gettext_lazy("name"))
    date = models.DateField(verbose_name=gettext_lazy("date"))
    start_time = models.TimeField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Closed from; leave both times empty for the whole day."),
        verbose_name=gettext_lazy("start time"),
    )
    end_time = models.TimeField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Closed until; 00:00 is midnight."),
        verbose_name=gettext_lazy("end time"),
    )
    yearly = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Every year on the same month and day."),
        verbose_name=gettext_lazy("yearly"),
    )

    class Meta:
        verbose_name = gettext_lazy("holiday")
        verbose_name_plural = gettext_lazy("holidays")
        ordering = ["schedule", "date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date})"

    def clean(self) -> None:
        if (self.start_time is None) != (self.end_time is None):
            raise ValidationError(
                gettext(
                    "Give both a start and an end time for a partial day, "
                    "or neither for a full day."
                )
            )
        if self.start_time is not None and self.end_time is not None:
            check_times(self.start_time, self.end_time)


class Schedule(models.TextChoices):
    ALWAYS = "24/7", gettext_lazy("24/7")
    BUSINESS = "business", gettext_lazy("Business hours")


class SLAPlan(models.Model):
    """Targets a ticket's clock runs against.

    A ticket's clock starts when it opens (again when it reopens) and counts only
    schedule time, and not while the ticket sits in one of `pause_statuses`. The
    first-response target passes when that much clock time has gone by without a
    public reply; the resolution target, without the ticket being resolved. The
    ticket counts as overdue once a target plus the grace period has passed.
    """

    name = models.CharField(max_length=120, unique=True, verbose_name=gettext_lazy("name"))
    first_response_hours = models.DecimalField(
        gettext_lazy("first response target (hours)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=gettext_lazy(
            "Clock hours until the first public reply is due; empty for no target."
        ),
    )
    resolution_hours = models.DecimalField(
        gettext_lazy("resolution target (hours)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=gettext_lazy(
            "Clock hours after opening (on the schedule) until the ticket is due."
        ),
    )
    grace_minutes = models.PositiveIntegerField(
        gettext_lazy("grace period (minutes)"),
        default=0,
        help_text=gettext_lazy("Clock minutes past a target before the ticket counts as overdue."),
    )
    schedule = models.CharField(
        max_length=20,
        choices=Schedule.choices,
        default=Schedule.ALWAYS,
        editable=False,
        help_text=gettext_lazy(
            "Derived: business hours when a business schedule is set, else 24/7."
        ),
        verbose_name=gettext_lazy("schedule"),
    )
    business_schedule = models.ForeignKey(
        BusinessSchedule,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
        help_text=gettext_lazy("Empty means the plan runs 24/7."),
        verbose_name=gettext_lazy("business schedule"),
    )
    pause_statuses = models.ManyToManyField(
        "tickets.Status",
        blank=True,
        related_name="+",
        help_text=gettext_lazy("The clock stops while a ticket has one of these statuses."),
        verbose_name=gettext_lazy("pause statuses"),
    )
    escalation_policy = models.ForeignKey(
        "EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
        help_text=gettext_lazy(
            "What happens when tickets on this plan near or pass their targets."
        ),
        verbose_name=gettext_lazy("escalation policy"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))
    is_default = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Used when neither the help topic nor the department names a plan."),
        verbose_name=gettext_lazy("is default"),
    )

    class Meta:
        verbose_name_plural = gettext_lazy("SLA plans")
        ordering = ["name"]
        verbose_name = gettext_lazy("SLA plan")
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
        return f"{self.name} ({_hours(self.resolution_hours)})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        self.schedule = Schedule.BUSINESS if self.business_schedule_id else Schedule.ALWAYS
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "business_schedule" in update_fields:
            kwargs["update_fields"] = {*update_fields, "schedule"}
        super().save(*args, **kwargs)
        if adding:
            # New plans pause on the statuses marked for it (Pending Customer Reply
            # and On Hold out of the box); a form that submits its own choice
            # saves it after this.
            statuses = self.pause_statuses.model  # tickets.Status, not imported upwards
            self.pause_statuses.set(statuses.objects.filter(pauses_sla=True))

    @property
    def time_zone(self) -> str:
        return self.business_schedule.time_zone if self.business_schedule else "UTC"

    def schedule_view(self) -> ScheduleView | None:
        """The business schedule as plain data, read once per plan object."""
        if self.business_schedule is None:
            return None
        cached: ScheduleView | None = getattr(self, "_view", None)
        if cached is None:
            cached = self.business_schedule.as_view()
            self._view = cached
        return cached

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant `seconds` of clock time after `start` (schedule time, or plain)."""
        view = self.schedule_view()
        if view is None:
            return start + timedelta(seconds=seconds)
        return add_business_hours(start, seconds / 3600, view)

    def seconds_between(self, a: datetime, b: datetime) -> float:
        """Clock seconds between two instants on this plan's schedule."""
        view = self.schedule_view()
        if view is None:
            return (b - a).total_seconds()
        return business_seconds_between(a, b, view)

    def due_from(self, start: datetime) -> datetime:
        """When the resolution target passes for a ticket opened at `start`."""
        return self.add(start, float(self.resolution_hours) * 3600)


def _hours(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value).normalize():f} h"


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", gettext_lazy("First response")
    RESOLUTION = "resolution", gettext_lazy("Resolution")


class Trigger(models.TextChoices):
    AFTER_DUE = "after_due", gettext_lazy("Minutes after the target passed")
    BEFORE_DUE = "before_due", gettext_lazy("Percent of the target elapsed")


class EscalationPolicy(models.Model):
    """Ordered levels that act on a ticket as it nears or passes its SLA targets.

    A plan names its policy. The SLA sweep fires each level once per ticket, at
    its moment (see `EscalationLevel`); agents may also fire the next level by hand
    with a reason. Firing is recorded in `EscalationFired`, whose unique key makes
    "once per ticket" hold even when two workers sweep at the same time.
    """

    name = models.CharField(max_length=120, unique=True, verbose_name=gettext_lazy("name"))
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))

    class Meta:
        verbose_name = gettext_lazy("escalation policy")
        ordering = ["name"]
        verbose_name_plural = gettext_lazy("escalation policies")

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    policy = models.ForeignKey(
        EscalationPolicy,
        on_delete=models.CASCADE,
        related_name="levels",
        verbose_name=gettext_lazy("policy"),
    )
    order = models.PositiveSmallIntegerField(
        default=1,
        help_text=gettext_lazy("Level 1 fires first."),
        verbose_name=gettext_lazy("order"),
    )
    name = models.CharField(
        max_length=120,
        blank=True,
        help_text=gettext_lazy("e.g. Level II"),
        verbose_name=gettext_lazy("name"),
    )
    target = models.CharField(
        max_length=20,
        choices=Target.choices,
        default=Target.RESOLUTION,
        verbose_name=gettext_lazy("target"),
    )
    trigger = models.CharField(
        max_length=20,
        choices=Trigger.choices,
        default=Trigger.AFTER_DUE,
        verbose_name=gettext_lazy("trigger"),
    )
    minutes = models.PositiveIntegerField(
        default=0,
        help_text=gettext_lazy("For 'after': clock minutes past the target (0 = when it passes)."),
        verbose_name=gettext_lazy("minutes"),
    )
    percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=gettext_lazy("For 'percent': fire when this share of the target has elapsed."),
        verbose_name=gettext_lazy("percent"),
    )
    notify_assignee = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Alert the assigned agent (or the team, or the department)."),
        verbose_name=gettext_lazy("notify assignee"),
    )
    notify_manager = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Alert the department manager."),
        verbose_name=gettext_lazy("notify manager"),
    )
    notify_agents = models.ManyToManyField(
        "accounts.Agent",
        blank=True,
        related_name="+",
        help_text=gettext_lazy("Also alert these agents."),
        verbose_name=gettext_lazy("notify agents"),
    )
    assign_team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=gettext_lazy("Reassign to this team (for example Level II)."),
        verbose_name=gettext_lazy("assign team"),
    )
    assign_agent = models.ForeignKey(
        "accounts.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=gettext_lazy("Reassign to this agent."),
        verbose_name=gettext_lazy("assign agent"),
    )
    raise_priority_to = models.ForeignKey(
        "tickets.Priority",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=gettext_lazy("Raise the priority to this (never lowers it)."),
        verbose_name=gettext_lazy("raise priority to"),
    )
    transfer_to = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=gettext_lazy("Transfer the ticket to this department."),
        verbose_name=gettext_lazy("transfer to"),
    )

    class Meta:
        verbose_name = gettext_lazy("escalation level")
        verbose_name_plural = gettext_lazy("escalation levels")
        ordering = ["policy", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="escalation_level_order"),
        ]

    def __str__(self) -> str:
        return self.name or gettext("Level %(order)s") % {"order": self.order}

    def clean(self) -> None:
        if self.trigger == Trigger.BEFORE_DUE and self.percent is None:
            raise ValidationError({"percent": gettext("Give the share of the target (1-99 %).")})
        if self.trigger == Trigger.AFTER_DUE and self.percent is not None:
            raise ValidationError(
                {"percent": gettext("A percentage only applies to 'percent' levels.")}
            )

    def describe(self) -> str:
        what = Target(self.target).label.lower()
        if self.trigger == Trigger.BEFORE_DUE:
            return f"at {self.percent} % of the {what} target"
        if self.minutes:
            return f"{self.minutes} min after the {what} target"
        return f"when the {what} target passes"


class EscalationFired(models.Model):
    """A level that has fired for a ticket: once, by the sweep or by hand."""

    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("ticket"),
    )
    level = models.ForeignKey(
        EscalationLevel,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("level"),
    )
    fired_at = models.DateTimeField(verbose_name=gettext_lazy("fired at"))
    by_hand = models.BooleanField(default=False, verbose_name=gettext_lazy("by hand"))

    class Meta:
        verbose_name = gettext_lazy("escalation fired")
        verbose_name_plural = gettext_lazy("escalations fired")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "level"], name="escalation_fired_once"),
        ]

    def __str__(self) -> str:
        return f"{self.level} on ticket {self.ticket_id}"


class ClockPause(models.Model):
    """A stretch of time a ticket's SLA clock stood still (its status paused it).

    The ticket keeps the sum (`sla_paused_seconds`) for its due times; the rows are
    kept so a plan change can measure every pause again on the new plan's schedule.
    An open pause has no end yet."""

    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("ticket"),
    )
    started_at = models.DateTimeField(verbose_name=gettext_lazy("started at"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("ended at"))

    class Meta:
        verbose_name = gettext_lazy("clock pause")
        verbose_name_plural = gettext_lazy("clock pauses")
        indexes = [
            # A ticket's pauses since its clock started (plan changes).
            models.Index(fields=["ticket", "started_at"], name="clockpause_ticket_started"),
        ]

    def __str__(self) -> str:
        return f"ticket {self.ticket_id}: {self.started_at} - {self.ended_at or 'now'}"
