"""Schedules in the database: validation, the derived schedule field, and due_from."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpline.sla.models import BusinessSchedule, Holiday, Schedule, ScheduleSpan, SLAPlan

pytestmark = pytest.mark.django_db


def berlin_office() -> BusinessSchedule:
    schedule = BusinessSchedule.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for day in range(5):
        ScheduleSpan.objects.create(
            schedule=schedule, weekday=day, start_time=time(9), end_time=time(12)
        )
        ScheduleSpan.objects.create(
            schedule=schedule, weekday=day, start_time=time(13), end_time=time(17)
        )
    return schedule


def test_an_unknown_time_zone_is_refused() -> None:
    schedule = BusinessSchedule(name="Mars", time_zone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError, match="not a known time zone"):
        schedule.full_clean()
    BusinessSchedule(name="NY", time_zone="America/New_York").full_clean()


def test_a_span_must_end_after_it_starts_unless_it_ends_at_midnight() -> None:
    schedule = berlin_office()
    backwards = ScheduleSpan(schedule=schedule, weekday=5, start_time=time(17), end_time=time(9))
    with pytest.raises(ValidationError, match="end must be after the start"):
        backwards.full_clean()
    ScheduleSpan(schedule=schedule, weekday=5, start_time=time(20), end_time=time(0)).full_clean()


def test_overlapping_spans_on_one_day_are_refused_with_a_clear_message() -> None:
    schedule = berlin_office()
    overlap = ScheduleSpan(schedule=schedule, weekday=0, start_time=time(11), end_time=time(14))
    with pytest.raises(ValidationError, match="Monday 11:00-14:00 overlaps Monday 09:00-12:00"):
        overlap.full_clean()
    ScheduleSpan(schedule=schedule, weekday=0, start_time=time(12), end_time=time(13)).full_clean()


def test_a_partial_holiday_needs_both_times() -> None:
    schedule = berlin_office()
    half = Holiday(schedule=schedule, name="Eve", date=date(2026, 12, 24), start_time=time(12))
    with pytest.raises(ValidationError, match="both a start and an end"):
        half.full_clean()


def test_the_schedule_field_follows_the_business_schedule() -> None:
    plan = SLAPlan.objects.create(name="Office", resolution_hours=8)
    assert plan.schedule == Schedule.ALWAYS
    plan.business_schedule = berlin_office()
    plan.save(update_fields=["business_schedule"])
    plan.refresh_from_db()
    assert plan.schedule == Schedule.BUSINESS
    with pytest.raises(IntegrityError), transaction.atomic():
        SLAPlan.objects.filter(pk=plan.pk).update(schedule=Schedule.ALWAYS)


def test_a_24_7_plan_is_due_its_hours_later_as_before() -> None:
    plan = SLAPlan.objects.create(name="Critical", resolution_hours=1)
    start = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # a Friday night
    assert plan.due_from(start) == datetime(2026, 11, 27, 23, 30, tzinfo=UTC)


def test_a_business_plan_counts_only_open_hours_including_holidays() -> None:
    schedule = berlin_office()
    Holiday.objects.create(
        schedule=schedule, name="Christmas", date=date(2000, 12, 25), yearly=True
    )
    plan = SLAPlan.objects.create(name="Office", resolution_hours=8, business_schedule=schedule)
    with time_machine.travel(datetime(2026, 12, 24, 15, tzinfo=UTC), tick=False):
        # Thursday 16:00 CET: 1 h, Friday the 25th closed, Monday 7 h: 17:00 CET.
        assert plan.due_from(timezone.now()) == datetime(2026, 12, 28, 16, tzinfo=UTC)


def test_a_schedule_in_use_cannot_be_deleted() -> None:
    from django.db.models import ProtectedError

    schedule = berlin_office()
    SLAPlan.objects.create(name="Office", resolution_hours=8, business_schedule=schedule)
    with pytest.raises(ProtectedError):
        schedule.delete()


def test_the_admin_refuses_overlapping_spans_entered_together() -> None:
    from django.forms import inlineformset_factory

    from helpline.calendar.spans import NoOverlapFormSet

    schedule = BusinessSchedule.objects.create(name="New", time_zone="UTC")
    FormSet = inlineformset_factory(
        BusinessSchedule,
        ScheduleSpan,
        formset=NoOverlapFormSet,
        fields=["weekday", "start_time", "end_time"],
        extra=0,
    )
    rows = [("0", "09:00", "12:00"), ("0", "11:30", "17:00")]
    data = {"spans-TOTAL_FORMS": "2", "spans-INITIAL_FORMS": "0"}
    for i, (day, start, end) in enumerate(rows):
        data |= {f"spans-{i}-weekday": day, f"spans-{i}-start_time": start}
        data[f"spans-{i}-end_time"] = end
    formset = FormSet(data, instance=schedule)
    assert not formset.is_valid()
    assert "Monday 11:30-17:00 overlaps another span" in str(formset.non_form_errors())
