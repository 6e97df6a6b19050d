"""The SLA clock across daylight saving changes, through the lifecycle.

Berlin: Sunday 29 March 2026 02:00 CET (UTC+1) jumps to 03:00 CEST (UTC+2);
Sunday 25 October 2026 03:00 CEST falls back to 02:00 CET.
New York: Sunday 8 March 2026 02:00 EST (UTC-5) jumps to 03:00 EDT (UTC-4);
Sunday 1 November 2026 02:00 EDT falls back to 01:00 EST.

Business schedules are wall-clock times, so their openings move by an hour in
UTC; a 24/7 plan counts real hours. A schedule open 00:00-24:00 every day counts
real hours too (a 23-hour day is open 23 hours), so it agrees with 24/7.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from helpline.conftest import World
from helpline.sla.models import BusinessSchedule, ScheduleSpan, SLAPlan
from helpline.tickets import lifecycle

from .helpers import reload
from .test_sla_clock import at, clock, expect, office_plan, on_topic_plan, utc


def plan_on(
    world: World, name: str, zone: str, start: int, end: int, *, days: range, first: int, hours: int
) -> SLAPlan:
    """A plan whose schedule is open `start`-`end` o'clock (24 = midnight) on `days`."""
    schedule = BusinessSchedule.objects.create(name=name, time_zone=zone)
    for day in days:
        ScheduleSpan.objects.create(
            schedule=schedule, weekday=day, start_time=time(start), end_time=time(end % 24)
        )
    plan = SLAPlan.objects.create(
        name=name, first_response_hours=first, resolution_hours=hours, business_schedule=schedule
    )
    on_topic_plan(world, plan)
    return plan


def night_desk(world: World) -> SLAPlan:
    """Berlin, every night 00:00-06:00; first response 5 h, resolution 8 h."""
    return plan_on(world, "Night desk", "Europe/Berlin", 0, 6, days=range(7), first=5, hours=8)


def always_24_7(world: World) -> SLAPlan:
    plan = SLAPlan.objects.create(name="Always", first_response_hours=5, resolution_hours=8)
    on_topic_plan(world, plan)
    return plan


# --- office hours move in UTC -----------------------------------------------------------


@pytest.mark.parametrize(
    ("opened", "first", "due"),
    [
        # Friday 27 March 16:30 CET = 15:30 UTC. First response: 0.5 h Friday,
        # Monday 30 March 09:00-10:30 CEST = 08:30 UTC. Resolution: 0.5 h Friday,
        # 7 h Monday, Tuesday 31 March 09:00-09:30 CEST = 07:30 UTC.
        (utc(2026, 3, 27, 15, 30), utc(2026, 3, 30, 8, 30), utc(2026, 3, 31, 7, 30)),
        # Friday 23 October 16:30 CEST = 14:30 UTC. First response Monday 26
        # October 10:30 CET = 09:30 UTC; resolution Tuesday 09:30 CET = 08:30 UTC.
        (utc(2026, 10, 23, 14, 30), utc(2026, 10, 26, 9, 30), utc(2026, 10, 27, 8, 30)),
    ],
    ids=["berlin-spring-forward", "berlin-fall-back"],
)
def test_berlin_office_hours_across_a_dst_weekend_follow_the_wall_clock(
    world: World, opened: datetime, first: datetime, due: datetime
) -> None:
    on_topic_plan(world, office_plan())
    with at(opened):
        ticket = world.open()

    assert clock(ticket) == expect(first=first, due=due, alarm=first)


@pytest.mark.parametrize(
    ("opened", "first", "due"),
    [
        # Friday 6 March 16:00 EST = 21:00 UTC. First response: 1 h Friday, Monday
        # 9 March 09:00-10:00 EDT = 14:00 UTC (it would be 15:00 in EST). Resolution:
        # 1 h Friday, 7 h Monday -> 16:00 EDT = 20:00 UTC.
        (utc(2026, 3, 6, 21), utc(2026, 3, 9, 14), utc(2026, 3, 9, 20)),
        # Friday 30 October 16:00 EDT = 20:00 UTC. First response Monday 2 November
        # 10:00 EST = 15:00 UTC; resolution 16:00 EST = 21:00 UTC.
        (utc(2026, 10, 30, 20), utc(2026, 11, 2, 15), utc(2026, 11, 2, 21)),
    ],
    ids=["new-york-spring-forward", "new-york-fall-back"],
)
def test_new_york_office_hours_across_a_dst_weekend_follow_the_wall_clock(
    world: World, opened: datetime, first: datetime, due: datetime
) -> None:
    plan_on(world, "NY office", "America/New_York", 9, 17, days=range(5), first=2, hours=8)
    with at(opened):
        ticket = world.open()

    assert clock(ticket) == expect(first=first, due=due, alarm=first)


# --- a schedule spanning the change -------------------------------------------------------


def test_a_night_shift_on_the_spring_forward_night_is_an_hour_shorter(world: World) -> None:
    night_desk(world)
    # Saturday 28 March 23:00 CET = 22:00 UTC; the desk opens Sunday 00:00 CET =
    # 23:00 UTC and closes 06:00 CEST = 04:00 UTC: 5 real hours, not 6.
    # First response 5 h -> Sunday 04:00 UTC (06:00 CEST), the closing time.
    # Resolution 8 h: 5 h Sunday, Monday 30 March 00:00-03:00 CEST -> 01:00 UTC.
    with at(utc(2026, 3, 28, 22)):
        ticket = world.open()

    assert clock(ticket) == expect(
        first=utc(2026, 3, 29, 4), due=utc(2026, 3, 30, 1), alarm=utc(2026, 3, 29, 4)
    )


def test_a_night_shift_on_the_fall_back_night_is_an_hour_longer(world: World) -> None:
    night_desk(world)
    # Saturday 24 October 23:00 CEST = 21:00 UTC; the desk opens Sunday 00:00 CEST
    # = 22:00 UTC and closes 06:00 CET = 05:00 UTC: 7 real hours.
    # First response 5 h -> Sunday 03:00 UTC (04:00 CET).
    # Resolution 8 h: 7 h Sunday, Monday 26 October 00:00-01:00 CET -> 00:00 UTC.
    with at(utc(2026, 10, 24, 21)):
        ticket = world.open()

    assert clock(ticket) == expect(
        first=utc(2026, 10, 25, 3), due=utc(2026, 10, 26, 0), alarm=utc(2026, 10, 25, 3)
    )


@pytest.mark.parametrize(
    ("opened", "first", "due"),
    [
        # 22:00 UTC + 5 h = 03:00 UTC (05:00 CEST); + 8 h = 06:00 UTC (08:00 CEST).
        (utc(2026, 3, 28, 22), utc(2026, 3, 29, 3), utc(2026, 3, 29, 6)),
        # 21:00 UTC + 5 h = 02:00 UTC (03:00 CET); + 8 h = 05:00 UTC (06:00 CET).
        (utc(2026, 10, 24, 21), utc(2026, 10, 25, 2), utc(2026, 10, 25, 5)),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_a_24_7_plan_counts_real_hours_through_the_change(
    world: World, opened: datetime, first: datetime, due: datetime
) -> None:
    always_24_7(world)
    with at(opened):
        ticket = world.open()

    assert clock(ticket) == expect(first=first, due=due, alarm=first)


@pytest.mark.parametrize("kind", ["all-day schedule", "24/7"])
@pytest.mark.parametrize(
    ("zone", "opened", "due"),
    [
        # Saturday 28 March 12:00 CET = 11:00 UTC; 24 real hours -> Sunday 11:00 UTC,
        # which the wall clock shows as 13:00 CEST (the day had 23 hours).
        ("Europe/Berlin", utc(2026, 3, 28, 11), utc(2026, 3, 29, 11)),
        # Saturday 24 October 12:00 CEST = 10:00 UTC -> Sunday 10:00 UTC = 11:00 CET.
        ("Europe/Berlin", utc(2026, 10, 24, 10), utc(2026, 10, 25, 10)),
        # Saturday 7 March 12:00 EST = 17:00 UTC -> Sunday 17:00 UTC = 13:00 EDT.
        ("America/New_York", utc(2026, 3, 7, 17), utc(2026, 3, 8, 17)),
        # Saturday 31 October 12:00 EDT = 16:00 UTC -> Sunday 16:00 UTC = 11:00 EST.
        ("America/New_York", utc(2026, 10, 31, 16), utc(2026, 11, 1, 16)),
    ],
    ids=["berlin-spring", "berlin-fall", "new-york-spring", "new-york-fall"],
)
def test_a_schedule_open_all_day_agrees_with_24_7_over_a_23_or_25_hour_day(
    world: World, kind: str, zone: str, opened: datetime, due: datetime
) -> None:
    if kind == "24/7":
        plan = SLAPlan.objects.create(name="Day", first_response_hours=4, resolution_hours=24)
        on_topic_plan(world, plan)
    else:
        plan_on(world, "Day", zone, 0, 24, days=range(7), first=4, hours=24)
    with at(opened):
        ticket = world.open()

    # No change lies within the first four hours: the first response is 4 h later.
    first = opened + timedelta(hours=4)
    assert clock(ticket) == expect(first=first, due=due, alarm=first)


# --- pauses across the change -------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened", "hold", "resume", "paused", "first", "due"),
    [
        # Opened Saturday 28 March 22:00 CET (21:00 UTC), On Hold at 22:30 CET, back
        # at Sunday 07:00 CEST (05:00 UTC): the whole 5-hour Sunday shift was paused.
        # First response 5 + 5 h: 5 h Sunday, Monday 30 March 00:00-05:00 CEST
        #   -> 03:00 UTC. Resolution 8 + 5 h: 5 h Sunday, 6 h Monday, Tuesday
        #   31 March 00:00-02:00 CEST -> Tuesday 00:00 UTC.
        (
            utc(2026, 3, 28, 21),
            utc(2026, 3, 28, 21, 30),
            utc(2026, 3, 29, 5),
            18_000,
            utc(2026, 3, 30, 3),
            utc(2026, 3, 31, 0),
        ),
        # Opened Saturday 24 October 22:00 CEST (20:00 UTC), On Hold at 22:30 CEST,
        # back at Sunday 07:00 CET (06:00 UTC): the 7-hour Sunday shift was paused.
        # First response 5 + 7 h: 7 h Sunday, Monday 26 October 00:00-05:00 CET
        #   -> 04:00 UTC. Resolution 8 + 7 h: 7 h Sunday, 6 h Monday, Tuesday
        #   27 October 00:00-02:00 CET -> 01:00 UTC.
        (
            utc(2026, 10, 24, 20),
            utc(2026, 10, 24, 20, 30),
            utc(2026, 10, 25, 6),
            25_200,
            utc(2026, 10, 26, 4),
            utc(2026, 10, 27, 1),
        ),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_a_pause_over_the_dst_night_counts_the_real_length_of_the_shift(
    world: World,
    opened: datetime,
    hold: datetime,
    resume: datetime,
    paused: int,
    first: datetime,
    due: datetime,
) -> None:
    night_desk(world)
    with at(opened):
        ticket = world.open()
    with at(hold):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(resume):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))

    assert reload(ticket).sla_paused_at is None
    assert clock(ticket) == expect(first=first, due=due, alarm=first, paused=paused)
