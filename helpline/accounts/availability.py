"""Is an agent at work right now? Their weekly shifts, read in their own time zone.

Shifts are wall-clock times in the agent's zone (`Agent.timezone`, or
`settings.TIME_ZONE` when blank), so 09:00-17:00 stays 09:00-17:00 local time on
both sides of a daylight-saving change. The instants a shift covers come from the
business-hours math the SLA clock uses (`helpline.calendar.schedule.open_intervals`),
so a skipped or repeated hour is read exactly as the SLA clock reads it: a shift is on from the
first moment the wall clock shows its start to the last moment it shows its end.

An agent with no shifts at all is always available: most teams never fill in a
schedule, and they must not fall out of automatic assignment for it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from helpline.accounts.models import Agent
from helpline.calendar.schedule import ScheduleView, Span, open_intervals

logger = logging.getLogger(__name__)


@lru_cache(maxsize=256)
def _valid_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # Agent.timezone is free text; a typo must not take the agent (or the whole
        # pick) down, so it falls back to the site zone and says so in the log.
        logger.warning("Unknown agent time zone %r; using %s", name, settings.TIME_ZONE)
        return str(settings.TIME_ZONE)
    return name


def time_zone_of(agent: Agent) -> str:
    """The IANA zone the agent's shifts are written in."""
    return _valid_zone(agent.timezone or str(settings.TIME_ZONE))


def schedule_of(agent: Agent) -> ScheduleView | None:
    """The agent's week as a ScheduleView, or None when they have no shifts (always on).

    Uses `agent.shifts.all()`, so callers that check many agents prefetch "shifts".
    """
    rows = list(agent.shifts.all())
    if not rows:
        return None
    spans = tuple(Span(*shift.key()) for shift in rows)
    return ScheduleView(time_zone_of(agent), spans, name=f"Shifts of {agent}")


def is_working(agent: Agent, at: datetime) -> bool:
    """Whether `at` (an aware datetime) falls inside one of the agent's shifts."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; pass an aware datetime.")
    schedule = schedule_of(agent)
    if schedule is None:
        return True
    local_day = at.astimezone(schedule.tz).date()
    # The day before too: where a zone moves its clock around midnight, a shift of
    # yesterday can end after today's local midnight in real time.
    for day in (local_day - timedelta(days=1), local_day):
        for start, end in open_intervals(day, schedule):
            if start <= at < end:
                return True
    return False
