"""What the events record about how long things took, for the reports: the first
response's wait and each resolution's duration, in wall-clock seconds and in
seconds on the plan's schedule, with SLA pauses left out, and whether the targets
were met."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import time_machine

from helpline.conftest import World
from helpline.sla.models import BusinessSchedule, ScheduleSpan, SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, EventKind, Ticket

TUESDAY = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def data(ticket: Ticket, kind: EventKind) -> dict[str, object]:
    return Event.objects.filter(ticket=ticket, kind=kind).order_by("-id").first().data  # type: ignore[union-attr]


def office(world: World) -> SLAPlan:
    """Mon-Fri 09:00-17:00 Berlin; first response 2 h, resolution 8 h."""
    schedule = BusinessSchedule.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for day in range(5):
        ScheduleSpan.objects.create(
            schedule=schedule, weekday=day, start_time=time(9), end_time=time(17)
        )
    plan = SLAPlan.objects.create(
        name="Office",
        first_response_hours=2,
        resolution_hours=8,
        business_schedule=schedule,
    )
    world.topic.sla = plan
    world.topic.save()
    return plan


def test_the_first_reply_records_the_wait_without_the_pause(world: World) -> None:
    office(world)
    with at(TUESDAY):
        ticket = world.open()
    with at(TUESDAY + timedelta(minutes=30)):  # On Hold 09:30-10:30 Berlin
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    with at(TUESDAY + timedelta(minutes=90)):
        ticket = lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))
    with at(TUESDAY + timedelta(hours=2)):  # 11:00 Berlin: 2 h since opening, 1 h paused
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Hello</p>")
    with at(TUESDAY + timedelta(hours=3)):
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Again</p>")

    first, second = Event.objects.filter(ticket=ticket, kind=EventKind.REPLIED).order_by("id")
    assert first.data["first_response"] is True
    assert first.data["first_response_seconds"] == 3600
    assert first.data["first_response_business_seconds"] == 3600
    assert first.data["first_response_met"] is True  # 1 h of a 2 h target
    assert "first_response" not in second.data


def test_business_seconds_leave_out_the_night(world: World) -> None:
    office(world)
    with at(TUESDAY + timedelta(hours=8)):  # 17:00 Berlin: closing time
        ticket = world.open()
    with at(TUESDAY + timedelta(days=1, hours=3)):  # Wednesday 12:00 Berlin
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Morning</p>")

    replied = data(ticket, EventKind.REPLIED)
    assert replied["first_response_seconds"] == 19 * 3600  # 17:00 to 12:00 next day
    assert replied["first_response_business_seconds"] == 3 * 3600  # 09:00-12:00
    assert replied["first_response_met"] is False  # 3 h of a 2 h target


def test_a_resolution_records_its_duration_and_whether_it_was_on_time(world: World) -> None:
    with at(TUESDAY):
        ticket = world.open()  # Standard: 8 h, 24/7, no first-response target
    with at(TUESDAY + timedelta(hours=5)):
        ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done</p>")

    resolved = data(ticket, EventKind.RESOLVED)
    assert (resolved["seconds"], resolved["business_seconds"]) == (5 * 3600, 5 * 3600)
    assert resolved["resolution_met"] is True
    # The explanation is the first public answer, so it records the wait too.
    assert resolved["first_response_seconds"] == 5 * 3600
    assert "first_response_met" not in resolved  # the plan has no such target


def test_after_a_reopen_the_resolution_is_timed_from_the_reopening(world: World) -> None:
    with at(TUESDAY):
        ticket = world.open()
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Hi</p>")
    with at(TUESDAY + timedelta(hours=1)):
        ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done</p>")
    with at(TUESDAY + timedelta(days=2)):
        ticket = lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>No</p>")
    with at(TUESDAY + timedelta(days=2, hours=10)):
        ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Now</p>")

    resolved = data(ticket, EventKind.RESOLVED)
    assert resolved["seconds"] == 10 * 3600
    assert resolved["resolution_met"] is False  # 10 h of an 8 h target
    assert "first_response" not in resolved  # answered long ago
