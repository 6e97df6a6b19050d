"""`helpline sla due PLAN START` for plans with a first-response target and grace."""

from __future__ import annotations

from datetime import time
from io import StringIO

import pytest
from django.core.management import call_command

from helpline.sla.models import BusinessSchedule, ScheduleSpan, SLAPlan

pytestmark = pytest.mark.django_db


def sla(*args: str) -> list[str]:
    out = StringIO()
    call_command("sla", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def office() -> SLAPlan:
    """Berlin, Monday to Friday 09-12 and 13-17; 2 h / 8 h, 30 minutes' grace."""
    schedule = BusinessSchedule.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for day in range(5):
        for start, end in ((9, 12), (13, 17)):
            ScheduleSpan.objects.create(
                schedule=schedule, weekday=day, start_time=time(start), end_time=time(end)
            )
    return SLAPlan.objects.create(
        name="Office",
        first_response_hours=2,
        resolution_hours=8,
        grace_minutes=30,
        business_schedule=schedule,
    )


def test_it_prints_the_first_response_the_due_time_and_the_end_of_the_grace_period(
    office: SLAPlan,
) -> None:
    # Friday 27 November 2026 16:30 CET. First response: 0.5 h Friday, 1.5 h Monday
    # -> Monday 10:30. Resolution: 0.5 h Friday, 7 h Monday, 0.5 h Tuesday -> Tuesday
    # 09:30 CET = 08:30 UTC; 30 grace minutes -> 10:00 CET.
    assert sla("due", "Office", "2026-11-27T16:30") == [
        "Plan:  Office, 8.00 h on Berlin office (Europe/Berlin)",
        "Start: 2026-11-27 16:30:00 +0100 (CET, Friday)",
        "First response due: 2026-11-30 10:30:00 +0100 (CET, Monday)",
        "Due:   2026-12-01 09:30:00 +0100 (CET, Tuesday)",
        "Due:   2026-12-01 08:30:00 +0000 (UTC, Tuesday)",
        "Overdue after the grace period: 2026-12-01 10:00:00 +0100 (CET, Tuesday)",
    ]


def test_the_grace_period_counts_on_the_schedule_across_a_weekend_and_a_dst_change(
    office: SLAPlan,
) -> None:
    # Thursday 26 March 2026 16:00 CET. First response: 1 h Thursday, Friday
    # 09:00-10:00 CET. Resolution: 1 h Thursday, 7 h Friday -> Friday 17:00 CET, the
    # closing time = 16:00 UTC. Grace: closed until Monday 30 March 09:00, now CEST
    # (the clocks went forward on Sunday) -> 09:30 CEST.
    assert sla("due", "Office", "2026-03-26T16:00") == [
        "Plan:  Office, 8.00 h on Berlin office (Europe/Berlin)",
        "Start: 2026-03-26 16:00:00 +0100 (CET, Thursday)",
        "First response due: 2026-03-27 10:00:00 +0100 (CET, Friday)",
        "Due:   2026-03-27 17:00:00 +0100 (CET, Friday)",
        "Due:   2026-03-27 16:00:00 +0000 (UTC, Friday)",
        "Overdue after the grace period: 2026-03-30 09:30:00 +0200 (CEST, Monday)",
    ]


def test_a_24_7_plan_with_a_first_response_and_grace_counts_real_hours(office: SLAPlan) -> None:
    SLAPlan.objects.create(
        name="Always", first_response_hours=1, resolution_hours=8, grace_minutes=15
    )
    # Saturday 28 March 2026 22:00 UTC (naive: UTC for a 24/7 plan), over the
    # Berlin change, which a 24/7 plan does not see: +1 h, +8 h, +8 h 15 min.
    assert sla("due", "Always", "2026-03-28T22:00") == [
        "Plan:  Always, 8.00 h on 24/7 (UTC)",
        "Start: 2026-03-28 22:00:00 +0000 (UTC, Saturday)",
        "First response due: 2026-03-28 23:00:00 +0000 (UTC, Saturday)",
        "Due:   2026-03-29 06:00:00 +0000 (UTC, Sunday)",
        "Due:   2026-03-29 06:00:00 +0000 (UTC, Sunday)",
        "Overdue after the grace period: 2026-03-29 06:15:00 +0000 (UTC, Sunday)",
    ]
