"""`helpline sla due PLAN START`."""

from __future__ import annotations

from datetime import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from helpline.sla.models import BusinessSchedule, ScheduleSpan, SLAPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def office_plan() -> SLAPlan:
    schedule = BusinessSchedule.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for day in range(5):
        ScheduleSpan.objects.create(
            schedule=schedule, weekday=day, start_time=time(9), end_time=time(17)
        )
    return SLAPlan.objects.create(name="Office 8h", resolution_hours=8, business_schedule=schedule)


def sla(*args: str) -> str:
    out = StringIO()
    call_command("sla", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_due_time_in_the_schedule_zone_and_utc(office_plan: SLAPlan) -> None:
    # Friday 16:30 Berlin, naive: 30 min Friday, 7.5 h Monday -> 16:30 CET.
    out = sla("due", "Office 8h", "2026-11-27T16:30")
    assert "Start: 2026-11-27 16:30:00 +0100 (CET, Friday)" in out
    assert "Due:   2026-11-30 16:30:00 +0100 (CET, Monday)" in out
    assert "Due:   2026-11-30 15:30:00 +0000 (UTC, Monday)" in out


def test_a_start_with_an_offset_is_taken_as_given(office_plan: SLAPlan) -> None:
    out = sla("due", "Office 8h", "2026-11-27T15:30+00:00")
    assert "Start: 2026-11-27 16:30:00 +0100 (CET, Friday)" in out
    assert "Due:   2026-11-30 15:30:00 +0000 (UTC, Monday)" in out


def test_a_naive_start_on_a_24_7_plan_is_utc() -> None:
    SLAPlan.objects.create(name="Critical", resolution_hours=1)
    out = sla("due", "Critical", "2026-11-27T23:30")
    assert "Due:   2026-11-28 00:30:00 +0000 (UTC, Saturday)" in out


def test_an_unknown_plan_is_refused_with_the_known_names(office_plan: SLAPlan) -> None:
    with pytest.raises(CommandError, match=r"No SLA plan named 'Gold'\. Plans: Office 8h\."):
        sla("due", "Gold", "2026-11-27T16:30")


def test_a_bad_time_is_refused_clearly(office_plan: SLAPlan) -> None:
    with pytest.raises(CommandError, match="is not an ISO time"):
        sla("due", "Office 8h", "next friday")


def test_a_schedule_without_spans_is_refused_clearly() -> None:
    empty = BusinessSchedule.objects.create(name="Empty", time_zone="UTC")
    SLAPlan.objects.create(name="Broken", resolution_hours=4, business_schedule=empty)
    with pytest.raises(CommandError, match="Schedule 'Empty' has no opening hours"):
        sla("due", "Broken", "2026-11-27T16:30")
