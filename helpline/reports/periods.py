"""Report periods: whole local days in the viewer's time zone.

A period is the days `start` to `end`, both included, in the time zone `tz`. Its
bounds are `[start 00:00, end + 1 day 00:00)` local time, converted to UTC, so a
day is always the viewer's day (23 or 25 hours long across a daylight-saving
change) and the reports can compare events' stored UTC times against them.

Every day lies in the range of `helpline.lib.bounds`: a period at Python's edges
(9999-12-31, 0001-01-01) overflowed as soon as it was moved to or from a time
zone, and the report page, its JSON, both CSVs and the REST API answered 500.
The check is here, where a period is made, so every caller gets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.lib import bounds

StrOrPromise = str | Promise

# The longest custom range, in days: a year, a leap day included.
MAX_DAYS = 366

PRESETS: dict[str, StrOrPromise] = {
    "today": gettext_lazy("Today"),
    "7d": gettext_lazy("Last 7 days"),
    "30d": gettext_lazy("Last 30 days"),
    "quarter": gettext_lazy("This quarter"),
}


class PeriodError(ValueError):
    """A period that cannot be made: a sentence to show, and the input it is about
    (`preset`, `start`, `end` or `tz`)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def zone(tz: str) -> ZoneInfo:
    """The time zone named `tz`, or a PeriodError (about `tz`) saying it is unknown.
    ZoneInfo refuses a malformed key ("../x", "/etc/passwd", "zone.tab") with a
    plain ValueError, an unknown one with ZoneInfoNotFoundError: both are input."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(
            _("“%(tz)s” is not a known time zone; use a name such as Europe/Berlin.") % {"tz": tz},
            "tz",
        ) from None


@dataclass(frozen=True)
class Period:
    """The local days `start`..`end` (both included) in time zone `tz`."""

    start: date
    end: date
    tz: str

    def __post_init__(self) -> None:
        zone(self.tz)
        for field, day in (("start", self.start), ("end", self.end)):
            if not bounds.date_in_range(day):
                raise PeriodError(_out_of_range(field, day), field)
        if self.end < self.start:
            raise PeriodError(
                _("The end date (%(end)s) is before the start date (%(start)s).")
                % {"end": self.end.isoformat(), "start": self.start.isoformat()},
                "end",
            )
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise PeriodError(
                _("A report covers at most %(days)d days; choose a shorter range.")
                % {"days": MAX_DAYS},
                "end",
            )

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, end + 1 day 00:00) local time, in UTC."""
        tzinfo = zone(self.tz)
        first = datetime.combine(self.start, time(0), tzinfo=tzinfo)
        after = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=tzinfo)
        return first.astimezone(UTC), after.astimezone(UTC)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def label(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return _("%(start)s to %(end)s") % {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def _out_of_range(field: str, day: date) -> str:
    which = _("The start date") if field == "start" else _("The end date")
    return _("%(which)s (%(day)s) is outside the dates reports cover. %(range)s") % {
        "which": which,
        "day": day.isoformat(),
        "range": bounds.range_message(),
    }


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset(name: str, *, today: date, tz: str) -> Period:
    """A named period ending today (the viewer's local date `today`)."""
    if name == "today":
        return Period(today, today, tz)
    if name == "7d":
        return Period(today - timedelta(days=6), today, tz)
    if name == "30d":
        return Period(today - timedelta(days=29), today, tz)
    if name == "quarter":
        return Period(quarter_start(today), today, tz)
    choices = ", ".join(PRESETS)
    raise PeriodError(
        _("Unknown period “%(name)s”; choose one of %(choices)s, or a start and end date.")
        % {"name": name, "choices": choices},
        "preset",
    )


def _date(params: Mapping[str, str], key: str) -> date:
    value = (params.get(key) or "").strip()
    if not value:
        message = (
            _("Give both a start and an end date (the start date is missing).")
            if key == "start"
            else _("Give both a start and an end date (the end date is missing).")
        )
        raise PeriodError(message, key)
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = (
            _("The start date “%(value)s” is not a date; write it as YYYY-MM-DD.")
            if key == "start"
            else _("The end date “%(value)s” is not a date; write it as YYYY-MM-DD.")
        )
        raise PeriodError(message % {"value": value}, key) from None


def parse(params: Mapping[str, str], *, today: date, tz: str) -> Period:
    """The period a query string asks for: `preset=7d`, or `start=YYYY-MM-DD` and
    `end=YYYY-MM-DD` (both included). Nothing given means the last 7 days.
    Raises PeriodError with a message that can be shown as is."""
    name = (params.get("preset") or "").strip()
    if name and name != "custom":
        return preset(name, today=today, tz=tz)
    if not name and not (params.get("start") or params.get("end")):
        return preset("7d", today=today, tz=tz)
    return Period(_date(params, "start"), _date(params, "end"), tz)
