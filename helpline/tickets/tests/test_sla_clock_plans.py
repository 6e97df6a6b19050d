"""The SLA clock when the plan or the due date changes: `set_plan`, a new help
topic, a transfer, and due dates set by hand. Expected times are worked out in
the comments; see test_sla_clock for the plans ("Office": Berlin Monday to
Friday 09-12 and 13-17, first response 2 h, resolution 8 h; "Round the clock":
24/7, first response 1 h, resolution 8 h). Tuesday 1 December 2026 09:00 CET is
08:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from helpline.conftest import World
from helpline.sla.models import SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.models import EventKind, HelpTopic, SLASource

from .helpers import Watch, event, refused, reload
from .test_sla_clock import (
    at,
    clock,
    expect,
    missed,
    office_plan,
    on_topic_plan,
    only,
    round_the_clock_plan,
    tick,
    utc,
)

# --- set_plan -----------------------------------------------------------------------------


def test_a_new_plan_recomputes_both_targets_from_the_clock_start_keeping_pauses(
    world: World,
) -> None:
    office = office_plan()
    fast = round_the_clock_plan()
    on_topic_plan(world, office)
    with at(utc(2026, 12, 1, 8)):  # Tuesday 09:00 CET
        ticket = world.open()
    # On Hold 10:00-11:00 CET: 3,600 s of office time.
    with at(utc(2026, 12, 1, 9)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(utc(2026, 12, 1, 10)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))
    watch = Watch(ticket)

    with at(utc(2026, 12, 1, 10, 30)):
        ticket = lifecycle.set_plan(ticket, actor=world.supervisor, plan=fast, reason="VIP")

    # From the start (08:00 UTC) on 24/7, the hour paused kept:
    # first response 08:00 + 1 h + 1 h = 10:00 UTC (already past: the alarm rings at
    # once, but only the sweep marks it); resolution 08:00 + 8 h + 1 h = 17:00 UTC.
    fresh = reload(ticket)
    assert (fresh.sla, fresh.sla_from, fresh.sla_started_at) == (
        fast,
        SLASource.MANUAL,
        utc(2026, 12, 1, 8),
    )
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10),
        due=utc(2026, 12, 1, 17),
        alarm=utc(2026, 12, 1, 10),
        paused=3_600,
    )
    assert watch.events() == [
        event(
            EventKind.SLA,
            world.supervisor,
            field="sla",
            old="Office (8 h)",
            new="Round the clock (8 h)",
            reason="VIP",
        )
    ]
    ticket = tick(ticket, utc(2026, 12, 1, 10, 30))
    assert clock(ticket)["first_response_breached"]
    assert only(EventKind.OVERDUE, watch) == [missed("First response", "2026-12-01 10:00")]


def test_a_breach_that_no_longer_stands_on_the_new_plan_is_cleared(world: World) -> None:
    fast = round_the_clock_plan()
    office = office_plan()
    on_topic_plan(world, fast)
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    ticket = tick(ticket, utc(2026, 12, 1, 9))  # 24/7: first response missed at 09:00 UTC
    assert clock(ticket)["is_overdue"]
    watch = Watch(ticket)

    with at(utc(2026, 12, 1, 9, 30)):
        ticket = lifecycle.set_plan(ticket, actor=world.supervisor, plan=office)

    # On the office plan the first response is due 11:00 CET = 10:00 UTC, not yet:
    # the breach is cleared. Resolution Wednesday 10:00 CET = 09:00 UTC.
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10), due=utc(2026, 12, 2, 9), alarm=utc(2026, 12, 1, 10)
    )
    assert watch.events() == [
        event(
            EventKind.SLA,
            world.supervisor,
            field="sla",
            old="Round the clock (8 h)",
            new="Office (8 h)",
        ),
        event(
            EventKind.OVERDUE,
            world.supervisor,
            field="overdue",
            old=True,
            new=False,
            reason="Now on Office (8 h)",
        ),
    ]


def test_a_breach_that_still_stands_on_the_new_plan_is_kept(world: World) -> None:
    fast = round_the_clock_plan()
    office = office_plan()
    on_topic_plan(world, fast)
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    ticket = tick(ticket, utc(2026, 12, 1, 9))
    watch = Watch(ticket)

    # 12:00 CET: the office first response (11:00 CET = 10:00 UTC) has passed too.
    with at(utc(2026, 12, 1, 11)):
        ticket = lifecycle.set_plan(ticket, actor=world.supervisor, plan=office)

    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10),
        due=utc(2026, 12, 2, 9),
        alarm=utc(2026, 12, 2, 9),
        overdue=True,
        first_missed=True,
    )
    assert only(EventKind.OVERDUE, watch) == []


def test_a_new_plan_that_does_not_pause_the_status_restarts_a_paused_clock(
    world: World,
) -> None:
    office = office_plan()
    strict = SLAPlan.objects.create(name="Strict", first_response_hours=1, resolution_hours=8)
    strict.pause_statuses.clear()
    on_topic_plan(world, office)
    with at(utc(2026, 12, 1, 8)):  # Tuesday 09:00 CET
        ticket = world.open()
    with at(utc(2026, 12, 1, 9)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))

    with at(utc(2026, 12, 1, 10)):
        ticket = lifecycle.set_plan(ticket, actor=world.supervisor, plan=strict)

    # On Hold does not stop the Strict clock: it runs again from 10:00 UTC, the hour
    # already paused (09:00-10:00) kept. First response 08:00 + 1 h + 1 h = 10:00
    # UTC (due now: the alarm rings), resolution 08:00 + 9 h = 17:00 UTC.
    assert reload(ticket).sla_paused_at is None
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10),
        due=utc(2026, 12, 1, 17),
        alarm=utc(2026, 12, 1, 10),
        paused=3_600,
    )
    ticket = tick(ticket, utc(2026, 12, 1, 10))
    assert clock(ticket)["first_response_breached"]


def test_a_new_plan_that_pauses_the_current_status_stops_the_clock(world: World) -> None:
    office = office_plan()
    patient = SLAPlan.objects.create(name="Patient", first_response_hours=1, resolution_hours=8)
    patient.pause_statuses.add(world.status("In Progress"))
    on_topic_plan(world, office)
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    with at(utc(2026, 12, 1, 8, 30)):
        ticket = lifecycle.change_status(
            ticket, actor=world.agent, status=world.status("In Progress")
        )

    with at(utc(2026, 12, 1, 8, 45)):
        ticket = lifecycle.set_plan(ticket, actor=world.supervisor, plan=patient)

    # Paused from 08:45 UTC; the targets stay where 24/7 puts them until it resumes.
    assert reload(ticket).sla_paused_at == utc(2026, 12, 1, 8, 45)
    assert clock(ticket) == expect(first=utc(2026, 12, 1, 9), due=utc(2026, 12, 1, 16), alarm=None)
    with at(utc(2026, 12, 1, 9, 45)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))
    # An hour paused: 10:00 and 17:00 UTC.
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10),
        due=utc(2026, 12, 1, 17),
        alarm=utc(2026, 12, 1, 10),
        paused=3_600,
    )


def test_a_pause_outside_office_hours_adds_nothing_after_moving_to_an_office_plan(
    world: World,
) -> None:
    fast = round_the_clock_plan()
    office = office_plan()
    on_topic_plan(world, fast)
    with at(utc(2026, 12, 1, 14)):  # Tuesday 15:00 CET
        ticket = world.open()
    with at(utc(2026, 12, 1, 14, 30)):
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Hi.</p>")
    # On Hold from Tuesday 17:00 CET to Wednesday 09:00 CET: 16 h on 24/7.
    with at(utc(2026, 12, 1, 16)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(utc(2026, 12, 2, 8)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))
    assert clock(ticket)["sla_paused_seconds"] == 57_600

    with at(utc(2026, 12, 2, 8, 30)):
        ticket = lifecycle.set_plan(ticket, actor=world.supervisor, plan=office)

    # The office was closed for the whole pause, so 8 office hours from Tuesday
    # 15:00 CET: 2 h Tuesday, Wednesday 09-12 + 13-16 -> 16:00 CET = 15:00 UTC.
    # (Today: 8 + 16 office hours -> Monday 7 December 10:00 CET.)
    assert clock(ticket)["due_at"] == utc(2026, 12, 2, 15)


# --- topic and department -------------------------------------------------------------------


def test_a_new_help_topic_with_its_own_plan_brings_its_plan(world: World) -> None:
    office = office_plan()
    # A topic of the ticket's own department (another department's is refused).
    toner = HelpTopic.objects.create(name="Toner", department=world.support, sla=office)
    # Printers has no plan: the default, Standard, 8 h 24/7 without a first-response
    # target. Opened Tuesday 08:00 CET = 07:00 UTC: due 15:00 UTC.
    with at(utc(2026, 12, 1, 7)):
        ticket = world.open()
    assert (reload(ticket).sla_from, clock(ticket)) == (
        SLASource.DEFAULT,
        expect(first=None, due=utc(2026, 12, 1, 15), alarm=utc(2026, 12, 1, 15)),
    )
    watch = Watch(ticket)

    with at(utc(2026, 12, 1, 7, 30)):
        ticket = lifecycle.edit(ticket, actor=world.agent, topic=toner)

    # Office from the start (08:00 CET, closed until 09:00): first response 11:00
    # CET = 10:00 UTC; resolution 7 h Tuesday + 1 h Wednesday -> 10:00 CET = 09:00 UTC.
    fresh = reload(ticket)
    assert (fresh.sla, fresh.sla_from) == (office, SLASource.TOPIC)
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10), due=utc(2026, 12, 2, 9), alarm=utc(2026, 12, 1, 10)
    )
    assert watch.events() == [
        event(EventKind.EDITED, world.agent, field="topic", old="Printers", new="Toner"),
        event(
            EventKind.SLA,
            world.agent,
            field="sla",
            old="Standard (8 h)",
            new="Office (8 h)",
            reason="Plan of the new help topic",
        ),
    ]


def test_a_plan_set_by_hand_stays_when_the_topic_changes(world: World) -> None:
    office = office_plan()
    fast = round_the_clock_plan()
    # A topic of the ticket's own department (another department's is refused).
    toner = HelpTopic.objects.create(name="Toner", department=world.support, sla=office)
    with at(utc(2026, 12, 1, 7)):
        ticket = world.open()
    with at(utc(2026, 12, 1, 7, 10)):
        ticket = lifecycle.set_plan(ticket, actor=world.supervisor, plan=fast)
    # 24/7 from 07:00 UTC: first response 08:00, resolution 15:00 UTC.
    before = clock(ticket)
    assert before == expect(
        first=utc(2026, 12, 1, 8), due=utc(2026, 12, 1, 15), alarm=utc(2026, 12, 1, 8)
    )
    watch = Watch(ticket)

    with at(utc(2026, 12, 1, 7, 30)):
        ticket = lifecycle.edit(ticket, actor=world.agent, topic=toner)

    fresh = reload(ticket)
    assert (fresh.sla, fresh.sla_from) == (fast, SLASource.MANUAL)
    assert clock(ticket) == before
    assert [row.kind for row in watch.events()] == [EventKind.EDITED]


def test_a_transfer_to_a_department_with_its_own_plan_brings_its_plan(world: World) -> None:
    office = office_plan()
    world.sales.sla = office
    world.sales.save()
    with at(utc(2026, 12, 1, 7)):  # Tuesday 08:00 CET, on Standard
        ticket = world.open()
    watch = Watch(ticket)

    with at(utc(2026, 12, 1, 7, 30)):
        ticket = lifecycle.transfer(ticket, actor=world.admin, department=world.sales)

    # The same office times as for the topic: 10:00 UTC and Wednesday 09:00 UTC.
    fresh = reload(ticket)
    assert (fresh.sla, fresh.sla_from) == (office, SLASource.DEPARTMENT)
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 10), due=utc(2026, 12, 2, 9), alarm=utc(2026, 12, 1, 10)
    )
    assert only(EventKind.SLA, watch) == [
        event(
            EventKind.SLA,
            world.admin,
            field="sla",
            old="Standard (8 h)",
            new="Office (8 h)",
            reason="Plan of the new department",
        )
    ]


# --- due dates set by hand -----------------------------------------------------------------


def test_a_manual_due_is_not_moved_by_pauses_and_none_goes_back_to_the_plan(
    world: World,
) -> None:
    on_topic_plan(world, office_plan())
    with at(utc(2026, 12, 1, 8)):  # Tuesday 09:00 CET; plan due Wednesday 09:00 UTC
        ticket = world.open()
    watch = Watch(ticket)
    with at(utc(2026, 12, 1, 8, 30)):
        ticket = lifecycle.set_due(
            ticket, actor=world.supervisor, due_at=utc(2026, 12, 3, 15), reason="Customer asked"
        )
    assert clock(ticket)["due_at"] == utc(2026, 12, 3, 15)
    assert reload(ticket).due_is_manual
    # On Hold 10:00-12:00 CET: 7,200 s.
    with at(utc(2026, 12, 1, 9)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(utc(2026, 12, 1, 11)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))

    # The first response moves (4 h from 09:00 CET: 09-12, 13-14 -> 13:00 UTC); the
    # manual due does not.
    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 13),
        due=utc(2026, 12, 3, 15),
        alarm=utc(2026, 12, 1, 13),
        paused=7_200,
    )

    with at(utc(2026, 12, 1, 11, 30)):
        ticket = lifecycle.set_due(ticket, actor=world.supervisor, due_at=None)

    # Back to the plan, pauses included: 10 h from Tuesday 09:00 CET -> Wednesday
    # 12:00 CET = 11:00 UTC.
    assert not reload(ticket).due_is_manual
    assert clock(ticket)["due_at"] == utc(2026, 12, 2, 11)
    assert only(EventKind.SLA, watch) == [
        event(
            EventKind.SLA,
            world.supervisor,
            field="due",
            old="2026-12-02 09:00 UTC",
            new="2026-12-03 15:00 UTC",
            reason="Customer asked",
        ),
        event(
            EventKind.SLA,
            world.supervisor,
            field="due",
            old="2026-12-03 15:00 UTC",
            new="2026-12-02 11:00 UTC (from the plan)",
        ),
    ]


def test_a_manual_due_clears_a_resolution_breach_and_a_new_plan_leaves_it_alone(
    world: World,
) -> None:
    fast = round_the_clock_plan()
    on_topic_plan(world, fast)
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    with at(utc(2026, 12, 1, 8, 30)):
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Hi.</p>")
    ticket = tick(ticket, utc(2026, 12, 1, 16))  # 08:00 + 8 h: missed
    assert clock(ticket)["resolution_breached"]
    watch = Watch(ticket)

    with at(utc(2026, 12, 1, 17)):
        ticket = lifecycle.set_due(ticket, actor=world.supervisor, due_at=utc(2026, 12, 2, 12))

    assert clock(ticket) == expect(
        first=utc(2026, 12, 1, 9), due=utc(2026, 12, 2, 12), alarm=utc(2026, 12, 2, 12)
    )
    assert watch.events() == [
        event(
            EventKind.SLA,
            world.supervisor,
            field="due",
            old="2026-12-01 16:00 UTC",
            new="2026-12-02 12:00 UTC",
        ),
        event(
            EventKind.OVERDUE,
            world.supervisor,
            field="overdue",
            old=True,
            new=False,
            reason="New due date",
        ),
    ]
    with at(utc(2026, 12, 1, 18)):
        ticket = lifecycle.set_plan(ticket, actor=world.supervisor, plan=office_plan())
    assert clock(ticket)["due_at"] == utc(2026, 12, 2, 12)


def test_a_manual_due_on_a_ticket_without_a_plan_still_makes_it_overdue(world: World) -> None:
    with at(utc(2026, 12, 1, 8)):
        ticket = world.open()
    with at(utc(2026, 12, 1, 8, 10)):
        ticket = lifecycle.set_plan(ticket, actor=world.supervisor, plan=None)
    with at(utc(2026, 12, 1, 8, 20)):
        ticket = lifecycle.set_due(ticket, actor=world.supervisor, due_at=utc(2026, 12, 2, 12))

    assert clock(ticket)["sla_alarm_at"] == utc(2026, 12, 2, 12)
    ticket = tick(ticket, utc(2026, 12, 2, 12))
    assert clock(ticket)["is_overdue"]


@pytest.mark.parametrize(
    "due_at",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),  # year 10000 east of UTC
        datetime(2100, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14))),  # overflows in UTC
    ],
)
def test_a_due_date_outside_the_accepted_range_is_refused(world: World, due_at: datetime) -> None:
    """Such a date was stored and then made the ticket page answer 500 to every
    agent east of UTC (helpline.lib.bounds)."""
    ticket = world.open()

    with refused(ticket, match="between 2000-01-01 and 2099-12-31"):
        lifecycle.set_due(ticket, actor=world.supervisor, due_at=due_at)
