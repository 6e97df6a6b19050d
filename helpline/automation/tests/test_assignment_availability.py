"""Agents' working hours: shifts, time zones, daylight saving, and their validation."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from helpline.accounts.availability import is_working
from helpline.accounts.models import Agent, AgentShift
from helpline.conftest import World

MONDAY, SUNDAY = 0, 6


def _shift(agent: Agent, weekday: int, start: str, end: str) -> AgentShift:
    return AgentShift.objects.create(
        agent=agent,
        weekday=weekday,
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
    )


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _in_zone(agent: Agent, zone: str) -> Agent:
    agent.timezone = zone
    agent.save()
    return agent


def test_an_agent_without_shifts_is_always_working(world: World) -> None:
    assert is_working(world.agent, _utc(2026, 3, 1, 3, 0))  # a Sunday night
    assert is_working(world.agent, _utc(2026, 3, 4, 12, 0))


def test_a_shift_covers_its_start_but_not_its_end(world: World) -> None:
    _shift(world.agent, MONDAY, "09:00", "17:00")

    assert not is_working(world.agent, _utc(2026, 3, 2, 8, 59))
    assert is_working(world.agent, _utc(2026, 3, 2, 9, 0))
    assert is_working(world.agent, _utc(2026, 3, 2, 16, 59))
    assert not is_working(world.agent, _utc(2026, 3, 2, 17, 0))
    assert not is_working(world.agent, _utc(2026, 3, 3, 12, 0))  # Tuesday


def test_a_shift_ending_at_00_00_runs_to_midnight(world: World) -> None:
    _shift(world.agent, MONDAY, "20:00", "00:00")

    assert is_working(world.agent, _utc(2026, 3, 2, 23, 59))
    assert not is_working(world.agent, _utc(2026, 3, 3, 0, 0))


def test_a_blank_time_zone_means_the_sites(world: World) -> None:
    _shift(world.agent, MONDAY, "09:00", "17:00")
    monday_10_in_tokyo = _utc(2026, 3, 2, 1, 0)

    assert not is_working(world.agent, monday_10_in_tokyo)
    with override_settings(TIME_ZONE="Asia/Tokyo"):
        assert is_working(world.agent, monday_10_in_tokyo)


def test_an_unknown_time_zone_falls_back_to_the_sites(world: World) -> None:
    _in_zone(world.agent, "Mars/Olympus_Mons")
    _shift(world.agent, MONDAY, "09:00", "17:00")

    assert is_working(world.agent, _utc(2026, 3, 2, 9, 30))


def test_a_naive_moment_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        is_working(world.agent, datetime(2026, 3, 2, 9, 30))


def test_shifts_keep_to_the_wall_clock_across_the_spring_change(world: World) -> None:
    # Berlin skips 02:00-03:00 on Sunday 2026-03-29 (CET +1 -> CEST +2).
    agent = _in_zone(world.agent, "Europe/Berlin")
    _shift(agent, SUNDAY, "01:00", "04:00")

    assert not is_working(agent, _utc(2026, 3, 28, 23, 59))  # 00:59 CET
    assert is_working(agent, _utc(2026, 3, 29, 0, 30))  # 01:30 CET
    assert is_working(agent, _utc(2026, 3, 29, 1, 30))  # 03:30 CEST
    assert not is_working(agent, _utc(2026, 3, 29, 2, 0))  # 04:00 CEST: two real hours


def test_a_shift_inside_the_skipped_hour_never_happens(world: World) -> None:
    agent = _in_zone(world.agent, "Europe/Berlin")
    _shift(agent, SUNDAY, "02:15", "02:45")

    for minute in range(0, 60, 5):
        assert not is_working(agent, _utc(2026, 3, 29, 1, minute))
    assert is_working(agent, _utc(2026, 3, 22, 1, 30))  # the Sunday before: 02:30 CET


def test_shifts_keep_to_the_wall_clock_across_the_autumn_change(world: World) -> None:
    # Berlin repeats 02:00-03:00 on Sunday 2026-10-25 (CEST +2 -> CET +1).
    agent = _in_zone(world.agent, "Europe/Berlin")
    _shift(agent, SUNDAY, "09:00", "17:00")
    _shift(agent, SUNDAY, "01:00", "04:00")

    assert is_working(agent, _utc(2026, 10, 25, 8, 0))  # 09:00 CET, not 10:00
    assert not is_working(agent, _utc(2026, 10, 25, 7, 59))
    # 01:00-04:00 on the long night is four real hours, both 02:30s included.
    assert not is_working(agent, _utc(2026, 10, 24, 22, 59))  # 00:59 CEST
    assert is_working(agent, _utc(2026, 10, 25, 0, 30))  # 02:30 CEST
    assert is_working(agent, _utc(2026, 10, 25, 1, 30))  # 02:30 CET
    assert is_working(agent, _utc(2026, 10, 25, 2, 59))  # 03:59 CET
    assert not is_working(agent, _utc(2026, 10, 25, 3, 0))  # 04:00 CET


# --- validation ---------------------------------------------------------------------------


def _unsaved(agent: Agent, weekday: int, start: str, end: str) -> AgentShift:
    return AgentShift(
        agent=agent,
        weekday=weekday,
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
    )


def test_a_shift_must_end_after_it_starts(world: World) -> None:
    with pytest.raises(ValidationError, match="end must be after the start"):
        _unsaved(world.agent, MONDAY, "17:00", "09:00").full_clean()
    with pytest.raises(ValidationError, match="end must be after the start"):
        _unsaved(world.agent, MONDAY, "09:00", "09:00").full_clean()
    _unsaved(world.agent, MONDAY, "18:00", "00:00").full_clean()  # to midnight


def test_shifts_on_one_day_must_not_overlap(world: World) -> None:
    _shift(world.agent, MONDAY, "09:00", "12:00")

    with pytest.raises(ValidationError, match="overlaps"):
        _unsaved(world.agent, MONDAY, "11:00", "14:00").full_clean()
    _unsaved(world.agent, MONDAY, "12:00", "14:00").full_clean()  # back to back is fine
    _unsaved(world.agent, 1, "11:00", "14:00").full_clean()  # another day
    _unsaved(world.supervisor, MONDAY, "11:00", "14:00").full_clean()  # another agent


# --- admin ------------------------------------------------------------------------------


def _agent_form(world: World, shifts: list[tuple[int, str, str]]) -> dict[str, str]:
    agent = world.agent
    data = {
        "user": str(agent.user_id),
        "role": agent.role,
        "timezone": "Europe/Berlin",
        "max_open_tickets": "4",
        "signature": "",
        "access-TOTAL_FORMS": "0",
        "access-INITIAL_FORMS": "0",
        "shifts-TOTAL_FORMS": str(len(shifts)),
        "shifts-INITIAL_FORMS": "0",
    }
    for i, (weekday, start, end) in enumerate(shifts):
        data |= {
            f"shifts-{i}-weekday": str(weekday),
            f"shifts-{i}-start_time": start,
            f"shifts-{i}-end_time": end,
        }
    return data


def test_the_agent_admin_saves_shifts_and_the_cap(world: World, client: Client) -> None:
    client.force_login(world.admin.user)
    url = f"/admin/accounts/agent/{world.agent.pk}/change/"
    assert "working hours" in client.get(url).content.decode().lower()

    response = client.post(
        url, _agent_form(world, [(MONDAY, "09:00", "12:00"), (0, "13:00", "17:00")])
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    world.agent.refresh_from_db()
    assert world.agent.max_open_tickets == 4
    assert [s.key() for s in world.agent.shifts.all()] == [
        (MONDAY, 9 * 3600, 12 * 3600),
        (MONDAY, 13 * 3600, 17 * 3600),
    ]


def test_the_agent_admin_refuses_overlapping_shifts_saved_together(
    world: World, client: Client
) -> None:
    client.force_login(world.admin.user)
    url = f"/admin/accounts/agent/{world.agent.pk}/change/"

    response = client.post(
        url, _agent_form(world, [(MONDAY, "09:00", "12:00"), (0, "11:00", "17:00")])
    )

    assert response.status_code == 200
    assert "overlaps another shift" in response.content.decode()
    assert not world.agent.shifts.exists()
