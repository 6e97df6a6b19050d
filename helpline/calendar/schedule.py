"""Business-hours math: exact due times on a weekly schedule in a time zone.

Pure functions over a plain `ScheduleView` (no database access), so the math is
tested without models and reused by reports.

Rules (the same in both directions, so `business_seconds_between` inverts
`add_business_hours`):

- Spans and holidays are wall-clock times in the schedule's zone. A span is open
  from the first instant the wall clock shows its start to the last instant the
  wall clock shows its end; an end of 00:00 (86400 s here) means midnight at the
  end of the day.
- Daylight saving, spring forward (a skipped hour): a wall time that never happens
  is read as the moment of the jump. A span 01:00-04:00 on the night Berlin skips
  02:00-03:00 is open 2 real hours; a span lying wholly inside the skipped hour is
  closed.
- Daylight saving, fall back (a repeated hour): a span starts at the first
  occurrence of its start time and ends at the last occurrence of its end time, so
  staff who work 01:00-04:00 on that night are open 4 real hours, and a span that
  starts or ends inside the repeated hour includes the whole repetition.
- Holidays close a whole day, or part of one (start-end, same wall-clock rules),
  on a date or every year on the same month and day (a yearly 29 February applies
  only in leap years).
- Starting outside hours starts the clock at the next opening. The due time is the
  earliest instant at which the hours have elapsed, so 8 hours from Monday 09:00
  on a 09:00-17:00 schedule is Monday 17:00, not Tuesday 09:00. Zero hours gives
  the start itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

DAY = 86400
# A schedule with no open time for this many days in a row is treated as broken
# (every day a holiday, say), rather than searched forever.
MAX_CLOSED_DAYS = 366
# And no due time is searched for further than this many days ahead.
MAX_DAYS = 100 * 366


class ScheduleError(ValueError):
    """The schedule cannot produce a due time (no spans, or closed for too long)."""


def seconds_of(t: time | None, *, end: bool = False) -> int | None:
    """Seconds since midnight; an end time of 00:00 means midnight at the end of the day."""
    if t is None:
        return None
    s = t.hour * 3600 + t.minute * 60 + t.second
    return DAY if end and s == 0 else s


@dataclass(frozen=True)
class Span:
    weekday: int  # 0 = Monday
    start: int  # seconds since local midnight
    end: int  # seconds since local midnight, up to 86400


@dataclass(frozen=True)
class Closure:
    """A holiday: the whole day when start and end are None, else [start, end)."""

    day: date
    yearly: bool = False
    start: int | None = None
    end: int | None = None

    def applies_to(self, d: date) -> bool:
        if self.yearly:
            return (d.month, d.day) == (self.day.month, self.day.day)
        return d == self.day

    def closed(self) -> tuple[int, int]:
        if self.start is None or self.end is None:
            return (0, DAY)
        return (self.start, self.end)


@dataclass(frozen=True)
class ScheduleView:
    time_zone: str
    spans: tuple[Span, ...]
    closures: tuple[Closure, ...] = ()
    name: str = "schedule"
    tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", ZoneInfo(self.time_zone))


def find_overlap(spans: Iterable[tuple[int, int, int]]) -> tuple[int, int, int] | None:
    """The first (weekday, start, end) span that overlaps an earlier one on its day, if any."""
    ordered = sorted(spans)
    for before, after in pairwise(ordered):
        if before[0] == after[0] and after[1] < before[2]:
            return after
    return None


def _subtract(opens: list[tuple[int, int]], closed: tuple[int, int]) -> list[tuple[int, int]]:
    c0, c1 = closed
    out: list[tuple[int, int]] = []
    for s, e in opens:
        if c1 <= s or e <= c0:
            out.append((s, e))
            continue
        if s < c0:
            out.append((s, c0))
        if c1 < e:
            out.append((c1, e))
    return out


def _first_instant(naive: datetime, tz: ZoneInfo, *, last: bool) -> datetime:
    """The UTC instant at which the wall clock shows `naive` (see the module rules)."""
    earlier = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    later = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if earlier == later:
        return earlier
    if earlier < later:  # repeated: fold=0 is the first occurrence
        return later if last else earlier
    # Skipped: fold=0 reads it with the offset before the jump (an instant after
    # the jump), fold=1 with the offset after (an instant before). Find the jump.
    lo, hi = later, earlier  # local(lo) < naive <= local(hi)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi


def open_intervals(d: date, schedule: ScheduleView) -> list[tuple[datetime, datetime]]:
    """The open intervals of local date `d`, as aware UTC datetimes, in order."""
    opens = sorted((s.start, s.end) for s in schedule.spans if s.weekday == d.weekday())
    for closure in schedule.closures:
        if opens and closure.applies_to(d):
            opens = _subtract(opens, closure.closed())
    midnight = datetime.combine(d, time(0))
    result = []
    for s, e in opens:
        a = _first_instant(midnight + timedelta(seconds=s), schedule.tz, last=False)
        b = _first_instant(midnight + timedelta(seconds=e), schedule.tz, last=True)
        if b > a:
            result.append((a, b))
    return result


def _days_from(start: datetime, schedule: ScheduleView) -> Iterator[date]:
    # A day's spans end by its local midnight, so the day before is only needed
    # when the zone moves its clock around midnight; including it is cheap.
    d = start.astimezone(schedule.tz).date() - timedelta(days=1)
    while True:
        yield d
        d += timedelta(days=1)


def _check(schedule: ScheduleView, *moments: datetime) -> None:
    if not schedule.spans:
        raise ScheduleError(f"{schedule.name} has no opening hours; add at least one span.")
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{moment.isoformat()} has no time zone; pass an aware datetime.")


def add_business_hours(start: datetime, hours: float, schedule: ScheduleView) -> datetime:
    """The instant (UTC) at which `hours` of open time on `schedule` have passed after `start`."""
    _check(schedule, start)
    if hours < 0:
        raise ValueError("hours must not be negative.")
    remaining = timedelta(hours=hours)
    start = start.astimezone(UTC)
    if not remaining:
        return start
    closed_days = 0
    for searched, d in enumerate(_days_from(start, schedule)):
        if searched > MAX_DAYS:
            raise ScheduleError(
                f"No due time within {MAX_DAYS} days on {schedule.name}; {hours} h is too long."
            )
        intervals = [(max(a, start), b) for a, b in open_intervals(d, schedule) if b > start]
        if not intervals:
            closed_days += 1
            if closed_days > MAX_CLOSED_DAYS:
                raise ScheduleError(
                    f"{schedule.name} is closed for more than {MAX_CLOSED_DAYS} days in a row "
                    f"after {d - timedelta(days=closed_days)}; check its spans and holidays."
                )
            continue
        closed_days = 0
        for a, b in intervals:
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
    raise AssertionError("unreachable")  # pragma: no cover


def business_seconds_between(a: datetime, b: datetime, schedule: ScheduleView) -> float:
    """Seconds of open time on `schedule` between `a` and `b` (negative when b < a)."""
    _check(schedule, a, b)
    if b < a:
        return -business_seconds_between(b, a, schedule)
    a, b = a.astimezone(UTC), b.astimezone(UTC)
    last = b.astimezone(schedule.tz).date() + timedelta(days=1)
    total = timedelta()
    for d in _days_from(a, schedule):
        if d > last:
            break
        for s, e in open_intervals(d, schedule):
            lo, hi = max(s, a), min(e, b)
            if hi > lo:
                total += hi - lo
    return total.total_seconds()
