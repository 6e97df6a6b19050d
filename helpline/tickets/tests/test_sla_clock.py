"""The SLA clock through the lifecycle, on a controlled clock: exact due times for
both targets across weekends, holidays, the lunch break, grace periods, pauses,
first responses and reopening.

Every step runs inside `time_machine.travel(..., tick=False)`, and every expected
time is worked out by hand in a comment. The business plan is "Office": Berlin,
Monday to Friday 09:00-12:00 and 13:00-17:00 (7 open hours a day), first response
2 h, resolution 8 h. Berlin is UTC+1 (CET) in winter and UTC+2 (CEST) in summer.
Some days used below: Friday 27 November 2026, Monday 30 November, Tuesday
1 December, Thursday 24 December (Christmas Eve), Friday 25 December.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from helpline.conftest import World
from helpline.sla.models import BusinessSchedule, Holiday, ScheduleSpan, SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.models import EventKind, SLASource, State, Ticket

from .helpers import Row, Watch, event, reload

# --- shared by the test_sla_clock* modules ---------------------------------------------


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Everything inside happens at `moment`, and the clock stands still."""
    with time_machine.travel(moment, tick=False):
        yield


def berlin_office() -> BusinessSchedule:
    """Monday to Friday 09:00-12:00 and 13:00-17:00 in Berlin, with Christmas Day
    every year, Christmas Eve afternoon 2026 and a company day on 28 December 2026."""
    schedule = BusinessSchedule.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for day in range(5):
        for start, end in ((9, 12), (13, 17)):
            ScheduleSpan.objects.create(
                schedule=schedule, weekday=day, start_time=time(start), end_time=time(end)
            )
    Holiday.objects.create(
        schedule=schedule, name="Christmas Day", date=date(2000, 12, 25), yearly=True
    )
    Holiday.objects.create(
        schedule=schedule,
        name="Christmas Eve afternoon",
        date=date(2026, 12, 24),
        start_time=time(12),
        end_time=time(0),  # midnight at the end of the day
    )
    Holiday.objects.create(schedule=schedule, name="Company day", date=date(2026, 12, 28))
    return schedule


def office_plan(grace_minutes: int = 0) -> SLAPlan:
    return SLAPlan.objects.create(
        name="Office",
        first_response_hours=2,
        resolution_hours=8,
        grace_minutes=grace_minutes,
        business_schedule=berlin_office(),
    )


def round_the_clock_plan() -> SLAPlan:
    return SLAPlan.objects.create(
        name="Round the clock", first_response_hours=1, resolution_hours=8
    )


def on_topic_plan(world: World, plan: SLAPlan) -> None:
    """Tickets on the Printers topic get `plan` (the topic's plan wins over the default)."""
    world.topic.sla = plan
    world.topic.save()


def clock(ticket: Ticket) -> dict[str, Any]:
    """The stored clock fields the queues and the sweep read."""
    t = reload(ticket)
    return {
        "first_response_due_at": t.first_response_due_at,
        "due_at": t.due_at,
        "sla_alarm_at": t.sla_alarm_at,
        "is_overdue": t.is_overdue,
        "first_response_breached": t.first_response_breached,
        "resolution_breached": t.resolution_breached,
        "sla_paused_seconds": t.sla_paused_seconds,
    }


def expect(
    *,
    first: datetime | None,
    due: datetime | None,
    alarm: datetime | None,
    overdue: bool = False,
    first_missed: bool = False,
    due_missed: bool = False,
    paused: int = 0,
) -> dict[str, Any]:
    return {
        "first_response_due_at": first,
        "due_at": due,
        "sla_alarm_at": alarm,
        "is_overdue": overdue,
        "first_response_breached": first_missed,
        "resolution_breached": due_missed,
        "sla_paused_seconds": paused,
    }


def missed(target: str, due: str, *, old: bool = False) -> Row:
    """The sweep's event for a missed target (`due` as written in the reason, UTC)."""
    return event(
        EventKind.OVERDUE,
        None,
        field="overdue",
        old=old,
        new=True,
        reason=f"{target} target missed (due {due} UTC)",
    )


def only(kind: str, watch: Watch) -> list[Row]:
    return [row for row in watch.events() if row.kind == kind]


def tick(ticket: Ticket, moment: datetime) -> Ticket:
    with at(moment):
        return lifecycle.sla_tick(ticket, now=moment)


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def office(world: World) -> SLAPlan:
    plan = office_plan()
    on_topic_plan(world, plan)
    return plan


@pytest.fixture
def round_the_clock(world: World) -> SLAPlan:
    plan = round_the_clock_plan()
    on_topic_plan(world, plan)
    return plan


# --- 24/7 ---------------------------------------------------------------------------------


def test_a_24_7_plan_counts_every_hour_of_the_night_and_the_weekend(
    world: World, round_the_clock: SLAPlan
) -> None:
    # Friday 27 November 2026, 20:30 UTC: first response 1 h -> 21:30 UTC;
    # resolution 8 h -> Saturday 04:30 UTC. The alarm rings at the nearer one.
    with at(utc(2026, 11, 27, 20, 30)):
        ticket = world.open()

    fresh = reload(ticket)
    assert fresh.sla == round_the_clock
    assert fresh.sla_from == SLASource.TOPIC
    assert fresh.sla_started_at == utc(2026, 11, 27, 20, 30)
    assert clock(ticket) == expect(
        first=utc(2026, 11, 27, 21, 30),
        due=utc(2026, 11, 28, 4, 30),
        alarm=utc(2026, 11, 27, 21, 30),
    )


def test_a_pause_on_a_24_7_plan_moves_both_targets_by_the_whole_paused_time(
    world: World, round_the_clock: SLAPlan
) -> None:
    with at(utc(2026, 11, 27, 20, 30)):
        ticket = world.open()
    # On Hold from 21:00 to Saturday 00:00 UTC: 3 h = 10,800 s, all of it clock time.
    with at(utc(2026, 11, 27, 21)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    assert clock(ticket) == expect(
        first=utc(2026, 11, 27, 21, 30), due=utc(2026, 11, 28, 4, 30), alarm=None
    )
    with at(utc(2026, 11, 28)):
        ticket = lifecycle.change_status(
            ticket, actor=world.agent, status=world.status("In Progress")
        )

    # 21:30 + 3 h = Saturday 00:30; 04:30 + 3 h = 07:30.
    assert clock(ticket) == expect(
        first=utc(2026, 11, 28, 0, 30),
        due=utc(2026, 11, 28, 7, 30),
        alarm=utc(2026, 11, 28, 0, 30),
        paused=10_800,
    )
    assert reload(ticket).sla_paused_at is None


# --- business hours: weekends, the lunch break, holidays ----------------------------------


def test_a_ticket_opened_on_friday_afternoon_skips_the_weekend_for_both_targets(
    world: World, office: SLAPlan
) -> None:
    # Friday 16:30 CET = 15:30 UTC.
    # First response 2 h: 0.5 h Friday (16:30-17:00), 1.5 h Monday (09:00-10:30)
    #   -> Monday 30 November 10:30 CET = 09:30 UTC.
    # Resolution 8 h: 0.5 h Friday, Monday 3 h (09-12) + 4 h (13-17) = 7.5 h,
    #   0.5 h Tuesday -> Tuesday 1 December 09:30 CET = 08:30 UTC.
    with at(utc(2026, 11, 27, 15, 30)):
        ticket = world.open()

    assert clock(ticket) == expect(
        first=utc(2026, 11, 30, 9, 30),
        due=utc(2026, 12, 1, 8, 30),
        alarm=utc(2026, 11, 30, 9, 30),
    )


def test_a_missed_first_response_is_marked_exactly_at_its_target_and_the_alarm_moves_on(
    world: World, office: SLAPlan
) -> None:
    with at(utc(2026, 11, 27, 15, 30)):
        ticket = world.open()
    watch = Watch(ticket)

    # A second before Monday 09:30 UTC nothing is due; at 09:30 the first response is.
    tick(ticket, utc(2026, 11, 30, 9, 29, 59))
    assert watch.events() == []
    ticket = tick(ticket, utc(2026, 11, 30, 9, 30))

    assert clock(ticket) == expect(
        first=utc(2026, 11, 30, 9, 30),
        due=utc(2026, 12, 1, 8, 30),
        alarm=utc(2026, 12, 1, 8, 30),  # now the resolution target
        overdue=True,
        first_missed=True,
    )
    assert watch.events() == [missed("First response", "2026-11-30 09:30")]

    # Tuesday 08:30 UTC: the resolution target passes too (already overdue: old True).
    ticket = tick(ticket, utc(2026, 12, 1, 8, 30))
    assert clock(ticket) == expect(
        first=utc(2026, 11, 30, 9, 30),
        due=utc(2026, 12, 1, 8, 30),
        alarm=None,
        overdue=True,
        first_missed=True,
        due_missed=True,
    )
    assert only(EventKind.OVERDUE, watch)[1:] == [
        missed("Resolution", "2026-12-01 08:30", old=True)
    ]


def test_a_ticket_opened_before_lunch_counts_around_the_break(
    world: World, office: SLAPlan
) -> None:
    # Tuesday 1 December 11:00 CET = 10:00 UTC.
    # First response 2 h: 11-12 (1 h), 13-14 (1 h) -> 14:00 CET = 13:00 UTC.
    # Resolution 8 h: Tuesday 11-12 + 13-17 = 5 h, Wednesday 09-12 = 3 h
    #   -> Wednesday 12:00 CET = 11:00 UTC (the end of the span, not 13:00).
    with at(utc(2026, 12, 1, 10)):
        ticket = world.open()

    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 13), due=utc(2026, 12, 2, 11), alarm=utc(2026, 12, 1, 13)
    )


def test_a_ticket_opened_outside_hours_starts_counting_at_the_next_opening(
    world: World, office: SLAPlan
) -> None:
    # Saturday 28 November 12:00 UTC: closed until Monday 09:00 CET = 08:00 UTC.
    # First response: Monday 11:00 CET = 10:00 UTC. Resolution: Monday 7 h,
    # Tuesday 09:00-10:00 -> 10:00 CET = 09:00 UTC.
    with at(utc(2026, 11, 28, 12)):
        ticket = world.open()

    assert clock(ticket) == expect(
        first=utc(2026, 11, 30, 10), due=utc(2026, 12, 1, 9), alarm=utc(2026, 11, 30, 10)
    )


def test_holidays_a_partial_day_a_yearly_day_and_a_dated_day_are_skipped(
    world: World, office: SLAPlan
) -> None:
    # Thursday 24 December 2026 11:00 CET = 10:00 UTC. Open only 11:00-12:00 that day
    # (closed from noon: Christmas Eve afternoon); Friday 25th Christmas Day (yearly,
    # entered for the year 2000); weekend; Monday 28th the company day (dated).
    # First response 2 h: 1 h Thursday, 1 h Tuesday 29th -> 10:00 CET = 09:00 UTC.
    # Resolution 8 h: 1 h Thursday, Tuesday 29th 3 h + 4 h -> 17:00 CET = 16:00 UTC.
    with at(utc(2026, 12, 24, 10)):
        ticket = world.open()

    assert clock(ticket) == expect(
        first=utc(2026, 12, 29, 9), due=utc(2026, 12, 29, 16), alarm=utc(2026, 12, 29, 9)
    )


def test_a_yearly_holiday_applies_in_later_years_and_a_dated_one_does_not(
    world: World, office: SLAPlan
) -> None:
    # Thursday 24 December 2026 was only open until noon; in 2027 it is a Friday
    # and open all day (the partial holiday was dated 2026), but Christmas Day,
    # Saturday 25 December 2027, is a weekend anyway. Take 2031 instead, where the
    # 25th is a Thursday: Wednesday 24 December 2031 16:00 CET = 15:00 UTC.
    # First response 2 h: 1 h Wednesday (16-17), Thursday 25th closed (yearly),
    # Friday 26th 09:00-10:00 -> 10:00 CET = 09:00 UTC.
    # Resolution 8 h: 1 h Wednesday, Friday 7 h -> Friday 17:00 CET = 16:00 UTC.
    with at(utc(2031, 12, 24, 15)):
        ticket = world.open()

    assert clock(ticket) == expect(
        first=utc(2031, 12, 26, 9), due=utc(2031, 12, 26, 16), alarm=utc(2031, 12, 26, 9)
    )


# --- grace --------------------------------------------------------------------------------


def test_grace_minutes_count_on_the_schedule_so_a_friday_target_is_overdue_on_monday(
    world: World,
) -> None:
    plan = office_plan(grace_minutes=30)
    on_topic_plan(world, plan)
    # Friday 27 November 15:00 CET = 14:00 UTC.
    # First response 2 h -> Friday 17:00 CET = 16:00 UTC (the closing time itself);
    #   plus 30 grace minutes on the schedule -> Monday 09:30 CET = 08:30 UTC.
    # Resolution 8 h: 2 h Friday, Monday 3 h + 3 h -> Monday 16:00 CET = 15:00 UTC;
    #   overdue from 16:30 CET = 15:30 UTC.
    with at(utc(2026, 11, 27, 14)):
        ticket = world.open()
    assert clock(ticket) == expect(
        first=utc(2026, 11, 27, 16), due=utc(2026, 11, 30, 15), alarm=utc(2026, 11, 30, 8, 30)
    )
    watch = Watch(ticket)

    # At the target, on Saturday and a second before the grace ends: not overdue.
    for moment in (utc(2026, 11, 27, 16), utc(2026, 11, 28, 12), utc(2026, 11, 30, 8, 29, 59)):
        tick(ticket, moment)
    assert watch.events() == []
    assert not reload(ticket).is_overdue

    ticket = tick(ticket, utc(2026, 11, 30, 8, 30))
    assert clock(ticket) == expect(
        first=utc(2026, 11, 27, 16),
        due=utc(2026, 11, 30, 15),
        alarm=utc(2026, 11, 30, 15, 30),
        overdue=True,
        first_missed=True,
    )
    # The reason names the target itself, not the end of the grace period.
    assert watch.events() == [missed("First response", "2026-11-27 16:00")]

    tick(ticket, utc(2026, 11, 30, 15, 29, 59))
    assert not reload(ticket).resolution_breached
    ticket = tick(ticket, utc(2026, 11, 30, 15, 30))
    assert reload(ticket).resolution_breached
    assert reload(ticket).sla_alarm_at is None
    assert only(EventKind.OVERDUE, watch)[1:] == [
        missed("Resolution", "2026-11-30 15:00", old=True)
    ]


# --- pauses -------------------------------------------------------------------------------


def test_pending_customer_reply_and_on_hold_pause_by_default(office: SLAPlan) -> None:
    assert sorted(office.pause_statuses.values_list("name", flat=True)) == [
        "On Hold",
        "Pending Customer Reply",
    ]


def test_a_pause_during_open_hours_moves_both_targets_by_the_paused_open_time(
    world: World, office: SLAPlan
) -> None:
    # Tuesday 1 December 09:00 CET = 08:00 UTC: first response 11:00 CET = 10:00 UTC;
    # resolution 7 h Tuesday + 1 h Wednesday -> 10:00 CET = 09:00 UTC.
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    watch = Watch(ticket)
    # On Hold 09:30-10:15 CET: 45 open minutes = 2,700 s.
    with at(utc(2026, 12, 1, 8, 30)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    paused = reload(ticket)
    assert paused.sla_paused_at == utc(2026, 12, 1, 8, 30)
    assert clock(ticket) == expect(first=utc(2026, 12, 1, 10), due=utc(2026, 12, 2, 9), alarm=None)
    with at(utc(2026, 12, 1, 9, 15)):
        ticket = lifecycle.change_status(
            ticket, actor=world.agent, status=world.status("In Progress")
        )

    # First response 11:00 + 0:45 -> 11:45 CET = 10:45 UTC.
    # Resolution 8.75 h from Tuesday 09:00: 7 h Tuesday, 1.75 h Wednesday -> 10:45 CET.
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10, 45),
        due=utc(2026, 12, 2, 9, 45),
        alarm=utc(2026, 12, 1, 10, 45),
        paused=2_700,
    )
    assert reload(ticket).sla_paused_at is None
    assert watch.events() == [
        event(EventKind.STATUS, world.agent, field="status", old="Open", new="On Hold"),
        event(EventKind.STATUS, world.agent, field="status", old="On Hold", new="In Progress"),
    ]


def test_a_pause_over_the_lunch_break_moves_both_targets_by_the_paused_open_time(
    world: World, office: SLAPlan
) -> None:
    # Tuesday 11:00 CET: first response 14:00 CET, resolution Wednesday 12:00 CET.
    with at(utc(2026, 12, 1, 10)):
        ticket = world.open()
    # On Hold 11:30-13:30 CET: 30 min before lunch + 30 min after = 3,600 s.
    with at(utc(2026, 12, 1, 10, 30)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(utc(2026, 12, 1, 12, 30)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))

    # First response 3 h from 11:00: 11-12, 13-15 -> 15:00 CET = 14:00 UTC.
    # Resolution 9 h: Tuesday 5 h, Wednesday 09-12 + 13-14 -> 14:00 CET = 13:00 UTC.
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 14),
        due=utc(2026, 12, 2, 13),
        alarm=utc(2026, 12, 1, 14),
        paused=3_600,
    )


def test_a_pause_across_a_night_counts_only_the_open_hours_on_either_side(
    world: World, office: SLAPlan
) -> None:
    # Tuesday 09:00 CET; the agent answers at 10:00 CET, so only the resolution
    # target (Wednesday 10:00 CET = 09:00 UTC) is left to move.
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    with at(utc(2026, 12, 1, 9)):
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Looking.</p>")
    # On Hold from Tuesday 16:00 CET to Wednesday 10:00 CET: 16-17 and 09-10 are
    # open, the night is not: 2 h = 7,200 s.
    with at(utc(2026, 12, 1, 15)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(utc(2026, 12, 2, 9)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))

    # Resolution 10 h from Tuesday 09:00: 7 h Tuesday, 09-12 Wednesday -> 12:00 CET.
    # The answered first response keeps its target (11:00 CET = 10:00 UTC).
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10),
        due=utc(2026, 12, 2, 11),
        alarm=utc(2026, 12, 2, 11),
        paused=7_200,
    )
    assert reload(ticket).first_response_at == utc(2026, 12, 1, 9)


def test_time_paused_outside_business_hours_adds_nothing_and_a_customer_reply_resumes(
    world: World, office: SLAPlan
) -> None:
    # Friday 16:30 CET: first response Monday 10:30 CET, resolution Tuesday 09:30 CET.
    with at(utc(2026, 11, 27, 15, 30)):
        ticket = world.open()
    # The agent asks a question at Friday 17:30 CET (after closing) and waits for
    # the customer, who answers on Monday at 08:30 CET (before opening).
    pending = world.status("Pending Customer Reply")
    with at(utc(2026, 11, 27, 16, 30)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=pending)
    assert reload(ticket).sla_alarm_at is None
    # While paused the sweep does nothing, even long past the old targets.
    watch = Watch(ticket)
    tick(ticket, utc(2026, 12, 1, 12))
    watch.assert_untouched()
    with at(utc(2026, 11, 30, 7, 30)):
        ticket = lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>Yes.</p>")

    fresh = reload(ticket)
    assert fresh.status == world.status("Open")
    assert fresh.sla_paused_at is None
    assert clock(ticket) == expect(
        first=utc(2026, 11, 30, 9, 30),
        due=utc(2026, 12, 1, 8, 30),
        alarm=utc(2026, 11, 30, 9, 30),
        paused=0,
    )
    assert watch.events() == [
        event(EventKind.CUSTOMER_REPLIED, world.customer),
        event(
            EventKind.STATUS,
            world.customer,
            field="status",
            old="Pending Customer Reply",
            new="Open",
            reason="The customer replied",
        ),
    ]


def test_a_customer_reply_to_a_pending_ticket_during_hours_resumes_the_resolution_clock(
    world: World, office: SLAPlan
) -> None:
    # Tuesday 09:00 CET: first response 11:00 CET, resolution Wednesday 10:00 CET.
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    # The agent answers at 10:00 CET and sets Pending Customer Reply in the same step.
    with at(utc(2026, 12, 1, 9)):
        ticket = lifecycle.reply(
            ticket,
            actor=world.agent,
            body_html="<p>Which model?</p>",
            status=world.status("Pending Customer Reply"),
        )
    assert reload(ticket).sla_paused_at == utc(2026, 12, 1, 9)
    # The customer answers at 15:00 CET: paused 10-12 and 13-15 = 4 h = 14,400 s.
    with at(utc(2026, 12, 1, 14)):
        ticket = lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>X1.</p>")

    # Resolution 12 h from Tuesday 09:00: 7 h Tuesday, Wednesday 09-12 + 13-15
    #   -> 15:00 CET = 14:00 UTC. The first response was met and stays as it was.
    assert reload(ticket).status == world.status("Open")
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10),
        due=utc(2026, 12, 2, 14),
        alarm=utc(2026, 12, 2, 14),
        paused=14_400,
    )


def test_pauses_add_up(world: World, office: SLAPlan) -> None:
    with at(utc(2026, 12, 1, 8)):  # Tuesday 09:00 CET
        ticket = world.open()
    # 09:15-09:45 CET (30 min) and 14:00-14:20 CET (20 min): 3,000 s.
    for start, end in (
        (utc(2026, 12, 1, 8, 15), utc(2026, 12, 1, 8, 45)),
        (utc(2026, 12, 1, 13), utc(2026, 12, 1, 13, 20)),
    ):
        with at(start):
            ticket = lifecycle.change_status(
                ticket, actor=world.agent, status=world.status("On Hold")
            )
        with at(end):
            ticket = lifecycle.change_status(
                ticket, actor=world.agent, status=world.status("In Progress")
            )

    # First response 2 h 50 min from 09:00: 09-11:50 CET = 10:50 UTC.
    # Resolution 8 h 50 min: 7 h Tuesday, Wednesday 09:00-10:50 CET = 09:50 UTC.
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10, 50),
        due=utc(2026, 12, 2, 9, 50),
        alarm=utc(2026, 12, 1, 10, 50),
        paused=3_000,
    )


def test_moving_between_two_pausing_statuses_keeps_the_first_pause(
    world: World, office: SLAPlan
) -> None:
    with at(utc(2026, 12, 1, 8)):  # Tuesday 09:00 CET
        ticket = world.open()
    with at(utc(2026, 12, 1, 8, 30)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(utc(2026, 12, 1, 9)):
        ticket = lifecycle.change_status(
            ticket, actor=world.agent, status=world.status("Pending Customer Reply")
        )
    assert reload(ticket).sla_paused_at == utc(2026, 12, 1, 8, 30)
    with at(utc(2026, 12, 1, 9, 30)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))

    # Paused 09:30-10:30 CET = 3,600 s: first response 11:00 + 1 h = 12:00 CET, the
    # end of the morning span = 11:00 UTC; resolution Wednesday 11:00 CET = 10:00 UTC.
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 11),
        due=utc(2026, 12, 2, 10),
        alarm=utc(2026, 12, 1, 11),
        paused=3_600,
    )


# --- the first response -------------------------------------------------------------------


def test_a_reply_before_the_target_meets_it_and_the_alarm_moves_to_the_resolution_target(
    world: World, office: SLAPlan
) -> None:
    # Tuesday 09:00 CET: first response 11:00 CET = 10:00 UTC, resolution Wednesday
    # 10:00 CET = 09:00 UTC.
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    with at(utc(2026, 12, 1, 9, 59)):
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>On it.</p>")

    assert reload(ticket).first_response_at == utc(2026, 12, 1, 9, 59)
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10), due=utc(2026, 12, 2, 9), alarm=utc(2026, 12, 2, 9)
    )
    watch = Watch(ticket)
    tick(ticket, utc(2026, 12, 1, 10))  # the first-response target passes: it was met
    watch.assert_untouched()


def test_a_missed_first_response_answered_late_clears_overdue_but_stays_missed(
    world: World, office: SLAPlan
) -> None:
    with at(utc(2026, 12, 1, 8)):  # Tuesday 09:00 CET
        ticket = world.open()
    ticket = tick(ticket, utc(2026, 12, 1, 10))  # 11:00 CET: missed
    assert clock(ticket)["is_overdue"]
    watch = Watch(ticket)

    with at(utc(2026, 12, 1, 10, 30)):
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Sorry.</p>")

    # The resolution target (Wednesday 10:00 CET = 09:00 UTC) is still pending.
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10),
        due=utc(2026, 12, 2, 9),
        alarm=utc(2026, 12, 2, 9),
        overdue=False,
        first_missed=True,
    )
    assert only(EventKind.OVERDUE, watch) == [
        event(
            EventKind.OVERDUE,
            world.agent,
            field="overdue",
            old=True,
            new=False,
            reason="First response sent",
        )
    ]
    ticket = tick(ticket, utc(2026, 12, 2, 9))
    assert clock(ticket)["is_overdue"]
    assert clock(ticket)["resolution_breached"]


def test_a_second_reply_does_not_move_the_first_response(world: World, office: SLAPlan) -> None:
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    with at(utc(2026, 12, 1, 9)):
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>One.</p>")
    with at(utc(2026, 12, 1, 11)):
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Two.</p>")

    assert reload(ticket).first_response_at == utc(2026, 12, 1, 9)


def test_an_internal_note_is_no_first_response(world: World, office: SLAPlan) -> None:
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    with at(utc(2026, 12, 1, 9)):
        ticket = lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Hmm.</p>")

    assert reload(ticket).first_response_at is None
    assert clock(ticket)["sla_alarm_at"] == utc(2026, 12, 1, 10)


def test_the_resolution_explanation_counts_as_the_first_response(
    world: World, office: SLAPlan
) -> None:
    with at(utc(2026, 12, 1, 8)):  # Tuesday 09:00 CET
        ticket = world.open()
    with at(utc(2026, 12, 1, 9, 30)):
        ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Fixed.</p>")

    fresh = reload(ticket)
    assert fresh.first_response_at == utc(2026, 12, 1, 9, 30)
    assert fresh.resolved_at == utc(2026, 12, 1, 9, 30)
    assert fresh.state == State.CLOSED
    assert clock(ticket) == expect(first=utc(2026, 12, 1, 10), due=utc(2026, 12, 2, 9), alarm=None)
    # A resolved ticket is never marked, whatever the time.
    watch = Watch(ticket)
    tick(ticket, utc(2026, 12, 3, 12))
    watch.assert_untouched()


# --- reopening ----------------------------------------------------------------------------


def test_reopening_starts_a_fresh_clock_clears_a_manual_due_and_keeps_the_answered_first_response(
    world: World, office: SLAPlan
) -> None:
    with at(utc(2026, 12, 1, 8)):  # Tuesday 09:00 CET
        ticket = world.open()
    with at(utc(2026, 12, 1, 9)):
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Looking.</p>")
    with at(utc(2026, 12, 1, 10)):
        ticket = lifecycle.set_due(ticket, actor=world.supervisor, due_at=utc(2026, 12, 3, 12))
    ticket = tick(ticket, utc(2026, 12, 3, 12))  # the manual due passes
    assert clock(ticket)["resolution_breached"]
    with at(utc(2026, 12, 3, 13)):
        ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done.</p>")
    watch = Watch(ticket)

    # Reopened on Friday 4 December 16:00 CET = 15:00 UTC: a fresh 8 h clock,
    # 1 h Friday, Monday 7 December 09-12 + 13-17 -> 17:00 CET = 16:00 UTC.
    with at(utc(2026, 12, 4, 15)):
        ticket = lifecycle.reopen(ticket, actor=world.supervisor, reason="Not fixed")

    fresh = reload(ticket)
    assert fresh.sla_started_at == utc(2026, 12, 4, 15)
    assert fresh.due_is_manual is False
    assert fresh.first_response_at == utc(2026, 12, 1, 9)
    # The first-response target is not applied again: it was answered.
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10), due=utc(2026, 12, 7, 16), alarm=utc(2026, 12, 7, 16)
    )
    assert only(EventKind.REOPENED, watch) == [
        event(
            EventKind.REOPENED,
            world.supervisor,
            field="status",
            old="Resolved",
            new="Open",
            reason="Not fixed",
        )
    ]


def test_reopening_an_unanswered_ticket_sets_a_fresh_first_response_target(
    world: World, office: SLAPlan
) -> None:
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    with at(utc(2026, 12, 1, 9)):
        ticket = lifecycle.close(ticket, actor=world.agent, reason="Spam?")
    # The customer writes on Sunday 6 December; the clock starts Monday 09:00 CET:
    # first response 11:00 CET = 10:00 UTC; resolution Monday 7 h + Tuesday 1 h
    # -> Tuesday 8 December 10:00 CET = 09:00 UTC.
    with at(utc(2026, 12, 6, 12)):
        ticket = lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>No!</p>")

    assert reload(ticket).sla_started_at == utc(2026, 12, 6, 12)
    assert clock(ticket) == expect(
        first=utc(2026, 12, 7, 10), due=utc(2026, 12, 8, 9), alarm=utc(2026, 12, 7, 10)
    )


def test_reopening_forgets_earlier_pauses(world: World, office: SLAPlan) -> None:
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    with at(utc(2026, 12, 1, 8, 30)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(utc(2026, 12, 1, 9, 30)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))
    assert clock(ticket)["sla_paused_seconds"] == 3_600
    with at(utc(2026, 12, 1, 10)):
        ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done.</p>")
    # Reopened Wednesday 2 December 09:00 CET: 7 h Wednesday + 1 h Thursday
    # -> Thursday 10:00 CET = 09:00 UTC, nothing added for the old pause.
    with at(utc(2026, 12, 2, 8)):
        ticket = lifecycle.reopen(ticket, actor=world.supervisor)

    assert clock(ticket)["sla_paused_seconds"] == 0
    assert clock(ticket)["due_at"] == utc(2026, 12, 3, 9)


def test_plan_hours_with_minutes_are_exact(world: World) -> None:
    plan = SLAPlan.objects.create(
        name="Quick office",
        first_response_hours=Decimal("0.25"),
        resolution_hours=Decimal("7.75"),
        business_schedule=berlin_office(),
    )
    on_topic_plan(world, plan)
    # Friday 27 November 16:50 CET = 15:50 UTC.
    # First response 15 min: 10 min Friday, 5 min Monday -> 09:05 CET = 08:05 UTC.
    # Resolution 7 h 45 min: 10 min Friday, 7 h Monday, 35 min Tuesday
    #   -> Tuesday 09:35 CET = 08:35 UTC.
    with at(utc(2026, 11, 27, 15, 50)):
        ticket = world.open()

    assert clock(ticket) == expect(
        first=utc(2026, 11, 30, 8, 5), due=utc(2026, 12, 1, 8, 35), alarm=utc(2026, 11, 30, 8, 5)
    )
