"""`helpline sla ...`: check SLA plans from the command line.

    helpline sla due PLAN START    the due time for a ticket opened at START

START is ISO 8601 (2026-11-27T16:30, or with an offset: 2026-11-27T16:30+01:00).
Without an offset it is read in the plan's schedule zone (UTC for 24/7 plans).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.calendar.schedule import ScheduleError
from helpline.sla.models import SLAPlan


def _fmt(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S %z} ({moment.tzname()}, {moment:%A})"


class Command(BaseCommand):
    help = "SLA plans: print the due time for a plan and a start time."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        due = actions.add_parser("due", help="Print the due time for PLAN and START.")
        due.add_argument("plan", help="The plan's name.")
        due.add_argument("start", help="ISO time, e.g. 2026-11-27T16:30 or ...T16:30+01:00.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "due":
            self._due(options["plan"], options["start"])

    def _due(self, name: str, raw_start: str) -> None:
        plan = SLAPlan.objects.select_related("business_schedule").filter(name=name).first()
        if plan is None:
            known = ", ".join(SLAPlan.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No SLA plan named {name!r}. Plans: {known}.")
        zone = ZoneInfo(plan.time_zone)
        try:
            start = datetime.fromisoformat(raw_start)
        except ValueError as exc:
            raise CommandError(
                f"{raw_start!r} is not an ISO time; use e.g. 2026-11-27T16:30 "
                "or 2026-11-27T16:30+01:00."
            ) from exc
        if start.tzinfo is None:
            start = start.replace(tzinfo=zone)
        try:
            due = plan.due_from(start)
            first = (
                plan.add(start, float(plan.first_response_hours) * 3600)
                if plan.first_response_hours is not None
                else None
            )
            overdue = plan.add(due, plan.grace_minutes * 60)
        except (ScheduleError, ValueError, OverflowError) as exc:
            raise CommandError(f"Cannot compute the due time for {plan.name!r}: {exc}") from exc
        label = plan.business_schedule.name if plan.business_schedule else "24/7"
        self.stdout.write(
            f"Plan:  {plan.name}, {plan.resolution_hours:f} h on {label} ({zone.key})"
        )
        self.stdout.write(f"Start: {_fmt(start.astimezone(zone))}")
        if first is not None:
            self.stdout.write(f"First response due: {_fmt(first.astimezone(zone))}")
        self.stdout.write(f"Due:   {_fmt(due.astimezone(zone))}")
        self.stdout.write(f"Due:   {_fmt(due.astimezone(UTC))}")
        if plan.grace_minutes:
            self.stdout.write(f"Overdue after the grace period: {_fmt(overdue.astimezone(zone))}")
