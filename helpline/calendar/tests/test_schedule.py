"""Business-hours math on plain schedule views: exact expected times, in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.calendar.schedule import (
    Closure,
    ScheduleError,
    ScheduleView,
    Span,
    add_business_hours,
    business_seconds_between,
    find_overlap,
    seconds_of,
)

H = 3600


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def office(
    zone: str = "Europe/Berlin", *closures: Closure, extra: tuple[Span, ...] = ()
) -> ScheduleView:
    """Monday to Friday 09:00-12:00 and 13:00-17:00 (a lunch break): 7 hours a day."""
    spans = [Span(d, 9 * H, 12 * H) for d in range(5)] + [Span(d, 13 * H, 17 * H) for d in range(5)]
    return ScheduleView(zone, (*spans, *extra), closures)


def sunday_night(zone: str, start: int, end: int) -> ScheduleView:
    return ScheduleView(zone, (Span(6, start, end),))


def test_it_adds_hours_within_a_working_day() -> None:
    # Tuesday 1 December 2026, 09:30 CET = 08:30 UTC; 2 h later is 11:30 CET.
    assert add_business_hours(utc(2026, 12, 1, 8, 30), 2, office()) == utc(2026, 12, 1, 10, 30)


def test_it_skips_the_lunch_break() -> None:
    # 11:00 CET + 2 h: 11-12, then 13-14.
    assert add_business_hours(utc(2026, 12, 1, 10), 2, office()) == utc(2026, 12, 1, 13)


def test_a_full_day_ends_at_closing_time_not_next_morning() -> None:
    assert add_business_hours(utc(2026, 12, 1, 8), 7, office()) == utc(2026, 12, 1, 16)


def test_after_hours_the_clock_starts_next_morning() -> None:
    # Tuesday 20:00 CET + 1 h = Wednesday 10:00 CET.
    assert add_business_hours(utc(2026, 12, 1, 19), 1, office()) == utc(2026, 12, 2, 9)


def test_before_opening_the_clock_starts_at_opening() -> None:
    assert add_business_hours(utc(2026, 12, 1, 5), 0.5, office()) == utc(2026, 12, 1, 8, 30)


def test_friday_evening_rolls_to_monday() -> None:
    # Friday 27 November 2026 16:30 CET + 2 h: 30 min Friday, 1.5 h Monday (10:30 CET).
    assert add_business_hours(utc(2026, 11, 27, 15, 30), 2, office()) == utc(2026, 11, 30, 9, 30)


def test_a_long_target_spans_several_weeks() -> None:
    # 70 h = 10 working days from Monday 09:00: the second Friday at 17:00.
    assert add_business_hours(utc(2026, 11, 30, 8), 70, office()) == utc(2026, 12, 11, 16)


def test_a_full_day_holiday_is_skipped() -> None:
    christmas = Closure(date(2026, 12, 25))
    # Thursday 24 Dec 16:00 CET + 2 h: 1 h Thursday, Friday closed, 1 h Monday 28th.
    due = add_business_hours(utc(2026, 12, 24, 15), 2, office("Europe/Berlin", christmas))
    assert due == utc(2026, 12, 28, 9)


def test_a_partial_day_holiday_closes_only_its_part() -> None:
    eve = Closure(date(2026, 12, 24), start=12 * H, end=86400)  # closed from noon
    # Thursday 11:00 CET + 2 h: 11-12, closed afternoon, Friday 09:00-10:00.
    due = add_business_hours(utc(2026, 12, 24, 10), 2, office("Europe/Berlin", eve))
    assert due == utc(2026, 12, 25, 9)


def test_a_partial_holiday_in_the_middle_of_a_span_splits_it() -> None:
    dentist = Closure(date(2026, 12, 1), start=10 * H, end=11 * H)
    due = add_business_hours(utc(2026, 12, 1, 8), 2, office("Europe/Berlin", dentist))
    assert due == utc(2026, 12, 1, 11)  # 09-10, closed 10-11, 11-12 CET: 12:00 CET


def test_a_yearly_holiday_applies_every_year() -> None:
    may_day = Closure(date(2000, 5, 1), yearly=True)
    # Thursday 30 April 2026 16:00 CEST + 2 h: 1 h Thursday, Friday 1 May closed, Monday 10:00.
    due = add_business_hours(utc(2026, 4, 30, 14), 2, office("Europe/Berlin", may_day))
    assert due == utc(2026, 5, 4, 8)


def test_a_dated_holiday_of_another_year_does_not_apply() -> None:
    may_day_2000 = Closure(date(2000, 5, 1))
    due = add_business_hours(utc(2026, 4, 30, 14), 2, office("Europe/Berlin", may_day_2000))
    assert due == utc(2026, 5, 1, 8)


# Daylight saving. Berlin: 29 March 2026 02:00 CET -> 03:00 CEST; 25 October 2026
# 03:00 CEST -> 02:00 CET. New York: 8 March 2026 02:00 EST -> 03:00 EDT; 1 November
# 2026 02:00 EDT -> 01:00 EST.


def test_berlin_spring_forward_span_across_the_jump_is_two_real_hours() -> None:
    night = sunday_night("Europe/Berlin", 1 * H, 4 * H)  # 01:00 CET (00:00Z) to 04:00 CEST (02:00Z)
    start = utc(2026, 3, 28, 23)
    assert business_seconds_between(start, utc(2026, 3, 29, 6), night) == 2 * H
    assert add_business_hours(start, 1.5, night) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST


def test_berlin_spring_forward_span_starting_in_the_skipped_hour_opens_at_the_jump() -> None:
    night = sunday_night("Europe/Berlin", 2 * H + 30 * 60, 5 * H)  # 02:30 never happens
    assert add_business_hours(utc(2026, 3, 28, 23), 0.5, night) == utc(2026, 3, 29, 1, 30)
    assert business_seconds_between(utc(2026, 3, 28), utc(2026, 3, 30), night) == 2 * H


def test_a_span_wholly_inside_the_skipped_hour_is_closed() -> None:
    ghost = ScheduleView(
        "America/New_York", (Span(6, 2 * H + 15 * 60, 2 * H + 45 * 60), Span(6, 10 * H, 11 * H))
    )
    # Only 10:00-11:00 EDT (14:00-15:00Z) is open on 8 March.
    assert add_business_hours(utc(2026, 3, 8, 0), 0.5, ghost) == utc(2026, 3, 8, 14, 30)


def test_berlin_fall_back_span_across_the_repeat_is_four_real_hours() -> None:
    night = sunday_night("Europe/Berlin", 1 * H, 4 * H)  # 01:00 CEST (23:00Z) to 04:00 CET (03:00Z)
    start = utc(2026, 10, 24, 20)
    assert business_seconds_between(start, utc(2026, 10, 25, 12), night) == 4 * H
    assert add_business_hours(start, 3.5, night) == utc(2026, 10, 25, 2, 30)  # 03:30 CET


def test_new_york_spring_forward_span_across_the_jump() -> None:
    night = sunday_night("America/New_York", 1 * H, 4 * H)  # 06:00Z to 08:00Z
    assert add_business_hours(utc(2026, 3, 8, 0), 1.5, night) == utc(2026, 3, 8, 7, 30)


def test_new_york_fall_back_span_starting_in_the_repeated_hour_covers_both() -> None:
    # 01:30 first happens at 01:30 EDT (05:30Z); 02:30 is 02:30 EST (07:30Z).
    night = sunday_night("America/New_York", 1 * H + 30 * 60, 2 * H + 30 * 60)
    assert business_seconds_between(utc(2026, 11, 1), utc(2026, 11, 2), night) == 2 * H
    assert add_business_hours(utc(2026, 11, 1), 1.5, night) == utc(2026, 11, 1, 7)


def test_berlin_due_time_landing_after_spring_forward() -> None:
    # Friday 27 March 16:00 CET (15:00Z) + 2 h: 1 h Friday, Monday 10:00 CEST = 08:00Z.
    assert add_business_hours(utc(2026, 3, 27, 15), 2, office()) == utc(2026, 3, 30, 8)


def test_berlin_due_time_landing_after_fall_back() -> None:
    # Friday 23 October 16:00 CEST (14:00Z) + 2 h: Monday 10:00 CET = 09:00Z.
    assert add_business_hours(utc(2026, 10, 23, 14), 2, office()) == utc(2026, 10, 26, 9)


def test_new_york_due_times_landing_after_both_changes() -> None:
    ny = office("America/New_York")
    # Friday 6 March 16:00 EST (21:00Z) + 2 h -> Monday 9 March 10:00 EDT (14:00Z).
    assert add_business_hours(utc(2026, 3, 6, 21), 2, ny) == utc(2026, 3, 9, 14)
    # Friday 30 October 16:00 EDT (20:00Z) + 2 h -> Monday 2 November 10:00 EST (15:00Z).
    assert add_business_hours(utc(2026, 10, 30, 20), 2, ny) == utc(2026, 11, 2, 15)


def test_a_span_ending_at_midnight_runs_to_the_end_of_the_day() -> None:
    late = ScheduleView("UTC", (Span(0, 22 * H, seconds_of(time(0), end=True) or 0),))
    assert add_business_hours(utc(2026, 11, 30, 22), 2, late) == utc(2026, 12, 1)


def test_zero_hours_is_the_start_itself() -> None:
    assert add_business_hours(utc(2026, 12, 1, 20), 0, office()) == utc(2026, 12, 1, 20)


def test_a_schedule_without_spans_is_refused_clearly() -> None:
    with pytest.raises(ScheduleError, match="no opening hours"):
        add_business_hours(utc(2026, 12, 1), 1, ScheduleView("UTC", ()))


def test_a_schedule_closed_forever_stops_with_a_clear_error() -> None:
    # Open on Mondays only, and every Monday for more than a year is a holiday.
    mondays_off = tuple(Closure(date(2026, 11, 30) + timedelta(weeks=w)) for w in range(60))
    closed = ScheduleView("UTC", (Span(0, 9 * H, 17 * H),), mondays_off)
    with pytest.raises(ScheduleError, match="closed for more than 366 days"):
        add_business_hours(utc(2026, 11, 29), 1, closed)


def test_naive_and_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        add_business_hours(datetime(2026, 12, 1, 9), 1, office())
    with pytest.raises(ValueError, match="negative"):
        add_business_hours(utc(2026, 12, 1, 9), -1, office())


def test_seconds_between_is_negative_when_reversed() -> None:
    a, b = utc(2026, 12, 1, 8), utc(2026, 12, 1, 10)
    assert business_seconds_between(b, a, office()) == -2 * H


def test_find_overlap_names_the_overlapping_span() -> None:
    assert find_overlap([(0, 9 * H, 12 * H), (0, 13 * H, 17 * H), (1, 11 * H, 14 * H)]) is None
    assert find_overlap([(0, 9 * H, 12 * H), (0, 11 * H, 14 * H)]) == (0, 11 * H, 14 * H)


PROPERTY_SCHEDULE = office(
    "Europe/Berlin",
    Closure(date(2000, 12, 25), yearly=True),
    Closure(date(2026, 12, 24), start=12 * H, end=86400),
    extra=(Span(6, 1 * H, 4 * H),),  # Sunday nights, across both DST changes
)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    hours=st.floats(min_value=0, max_value=300, allow_nan=False, allow_infinity=False),
)
def test_seconds_between_inverts_add_business_hours(start: datetime, hours: float) -> None:
    due = add_business_hours(start, hours, PROPERTY_SCHEDULE)
    assert business_seconds_between(start, due, PROPERTY_SCHEDULE) == pytest.approx(
        hours * 3600, abs=1e-5
    )
