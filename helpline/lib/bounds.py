"""The range of dates and times a person or a client may send us.

Python's dates run from year 1 to year 9999, and a value near either edge
overflows as soon as it is moved: 9999-12-31 23:00 UTC is already year 10000 in
Tokyo, and 0001-01-01 00:00 in Tokyo is year 0 in UTC. A due date or a report
period at such an edge was accepted, stored, and then made every page that shows
it answer 500 (OverflowError) to viewers east or west of UTC. So every date that
comes from outside (due dates, report periods, cursors, filters) is checked
against this range before it is used: wide enough for any real help desk, far
enough from the edges that no time zone and no day of arithmetic can overflow.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.utils.translation import gettext as _

EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
EARLIEST = datetime.combine(EARLIEST_DATE, time.min, tzinfo=UTC)
LATEST = datetime.combine(LATEST_DATE, time.max, tzinfo=UTC)


class OutOfRange(ValueError):
    """A date or time outside [EARLIEST, LATEST]; the message says the range."""


def range_message() -> str:
    return _("Give a date between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST_DATE.isoformat(),
        "latest": LATEST_DATE.isoformat(),
    }


def date_in_range(value: date) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DATE <= day <= LATEST_DATE


def check_date(value: date) -> date:
    """`value`, or OutOfRange when it lies outside the range."""
    if not date_in_range(value):
        raise OutOfRange(range_message())
    return value


def check_datetime(value: datetime) -> datetime:
    """`value` (aware or naive, compared in UTC when aware), or OutOfRange."""
    if value.tzinfo is not None:
        try:
            utc = value.astimezone(UTC)
        except OverflowError:
            raise OutOfRange(range_message()) from None
        if not EARLIEST <= utc <= LATEST:
            raise OutOfRange(range_message())
        return value
    check_date(value.date())
    return value
