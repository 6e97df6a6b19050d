"""Report periods: whole local days in the viewer's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from helpline.reports.periods import PRESETS, Period, PeriodError, parse, preset

BERLIN = "Europe/Berlin"


def test_a_period_is_whole_local_days_converted_to_utc() -> None:
    period = Period(date(2026, 12, 1), date(2026, 12, 3), BERLIN)
    assert period.bounds() == (
        datetime(2026, 11, 30, 23, 0, tzinfo=UTC),
        datetime(2026, 12, 3, 23, 0, tzinfo=UTC),
    )
    assert period.days() == [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    assert period.label == "2026-12-01 to 2026-12-03"


def test_a_day_across_a_daylight_saving_change_has_23_hours() -> None:
    start, end = Period(date(2026, 3, 29), date(2026, 3, 29), BERLIN).bounds()
    assert (start, end) == (
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
    )


def test_a_time_zone_behind_utc_shifts_the_day_the_other_way() -> None:
    start, end = Period(date(2026, 7, 1), date(2026, 7, 1), "America/New_York").bounds()
    assert start == datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
    assert end == datetime(2026, 7, 2, 4, 0, tzinfo=UTC)


def test_the_presets_end_today() -> None:
    today = date(2026, 12, 3)
    assert preset("today", today=today, tz=BERLIN) == Period(today, today, BERLIN)
    assert preset("7d", today=today, tz=BERLIN) == Period(date(2026, 11, 27), today, BERLIN)
    assert preset("30d", today=today, tz=BERLIN) == Period(date(2026, 11, 4), today, BERLIN)
    assert len(preset("7d", today=today, tz=BERLIN).days()) == 7
    assert len(preset("30d", today=today, tz=BERLIN).days()) == 30
    assert set(PRESETS) == {"today", "7d", "30d", "quarter"}


@pytest.mark.parametrize(
    ("today", "first"),
    [
        (date(2026, 1, 1), date(2026, 1, 1)),  # the quarter's first day: one day long
        (date(2026, 3, 31), date(2026, 1, 1)),
        (date(2026, 4, 1), date(2026, 4, 1)),
        (date(2026, 6, 30), date(2026, 4, 1)),
        (date(2026, 8, 15), date(2026, 7, 1)),
        (date(2026, 12, 31), date(2026, 10, 1)),
    ],
)
def test_this_quarter_runs_from_its_first_day_to_today(today: date, first: date) -> None:
    assert preset("quarter", today=today, tz=BERLIN) == Period(first, today, BERLIN)


def test_the_viewers_today_decides_the_quarter() -> None:
    # 23:30 UTC on 31 March is already 1 April in Berlin: a new quarter there.
    moment = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    from zoneinfo import ZoneInfo

    berlin_today = moment.astimezone(ZoneInfo(BERLIN)).date()
    assert preset("quarter", today=berlin_today, tz=BERLIN).start == date(2026, 4, 1)
    assert preset("quarter", today=moment.date(), tz="UTC").start == date(2026, 1, 1)


def test_parse_reads_a_preset_or_a_custom_range() -> None:
    today = date(2026, 12, 3)
    assert parse({"preset": "30d"}, today=today, tz=BERLIN) == preset("30d", today=today, tz=BERLIN)
    assert parse({}, today=today, tz=BERLIN) == preset("7d", today=today, tz=BERLIN)
    custom = parse({"start": "2026-11-01", "end": "2026-11-30"}, today=today, tz=BERLIN)
    assert custom == Period(date(2026, 11, 1), date(2026, 11, 30), BERLIN)
    same = parse(
        {"preset": "custom", "start": "2026-11-01", "end": "2026-11-01"}, today=today, tz=BERLIN
    )
    assert same.days() == [date(2026, 11, 1)]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"preset": "year"}, "Unknown period “year”"),
        ({"start": "2026-11-01"}, "the end date is missing"),
        ({"end": "2026-11-01"}, "the start date is missing"),
        ({"start": "01/11/2026", "end": "2026-11-30"}, "write it as YYYY-MM-DD"),
        ({"start": "2026-11-30", "end": "2026-11-01"}, "is before the start date"),
        ({"start": "2025-01-01", "end": "2026-01-02"}, "at most 366 days"),
    ],
)
def test_parse_refuses_bad_input_with_a_clear_message(params: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(params, today=date(2026, 12, 3), tz=BERLIN)


def test_a_full_leap_year_is_allowed_but_no_more() -> None:
    assert len(Period(date(2028, 1, 1), date(2028, 12, 31), BERLIN).days()) == 366
    with pytest.raises(ValueError, match="at most 366 days"):
        Period(date(2028, 1, 1), date(2029, 1, 1), BERLIN)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="not a known time zone"):
        Period(date(2026, 1, 1), date(2026, 1, 2), "Mars/Olympus")


# --- the range of dates (helpline.lib.bounds) ------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("9999-12-31", "9999-12-31", "start"),  # year 10000 in Tokyo: OverflowError
        ("0001-01-01", "0001-01-01", "start"),  # year 0 in UTC
        ("1999-12-31", "2000-01-02", "start"),
        ("2099-12-30", "2100-01-01", "end"),
    ],
)
@pytest.mark.parametrize("tz", ["Asia/Tokyo", "America/Los_Angeles", "UTC"])
def test_a_period_outside_the_range_of_dates_is_refused_naming_the_date(
    start: str, end: str, field: str, tz: str
) -> None:
    with pytest.raises(PeriodError, match="between 2000-01-01 and 2099-12-31") as refused:
        parse({"start": start, "end": end}, today=date(2026, 12, 3), tz=tz)
    assert refused.value.field == field
    with pytest.raises(PeriodError, match="between 2000-01-01 and 2099-12-31"):
        Period(date.fromisoformat(start), date.fromisoformat(end), tz)


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_first_and_last_days_of_the_range_make_periods_in_every_time_zone(tz: str) -> None:
    for day in (date(2000, 1, 1), date(2099, 12, 31)):
        start, end = Period(day, day, tz).bounds()
        assert timedelta(hours=23) <= end - start <= timedelta(hours=25)


def test_each_refusal_names_the_input_it_is_about() -> None:
    today = date(2026, 12, 3)
    cases = {
        "preset": {"preset": "year"},
        "start": {"start": "soon", "end": "2026-11-30"},
        "end": {"start": "2026-11-30", "end": "2026-11-01"},
    }
    for field, params in cases.items():
        with pytest.raises(PeriodError) as refused:
            parse(params, today=today, tz=BERLIN)
        assert refused.value.field == field
    with pytest.raises(PeriodError) as missing:
        parse({"start": "2026-11-30"}, today=today, tz=BERLIN)
    assert missing.value.field == "end"
