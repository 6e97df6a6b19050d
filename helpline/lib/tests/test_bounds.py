from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from helpline.lib.bounds import (
    EARLIEST,
    LATEST,
    OutOfRange,
    check_date,
    check_datetime,
    date_in_range,
)


def test_it_accepts_dates_inside_the_range() -> None:
    assert check_date(date(2026, 12, 4)) == date(2026, 12, 4)
    assert check_datetime(EARLIEST) == EARLIEST
    assert check_datetime(LATEST) == LATEST


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1999, 12, 31), date(2100, 1, 1), date.max])
def test_it_refuses_dates_outside_the_range(day: date) -> None:
    assert not date_in_range(day)
    with pytest.raises(OutOfRange, match="between 2000-01-01 and 2099-12-31"):
        check_date(day)


def test_it_refuses_aware_times_at_the_edges_of_python_dates() -> None:
    tokyo = timezone(timedelta(hours=14))
    with pytest.raises(OutOfRange):
        check_datetime(datetime(1, 1, 1, tzinfo=tokyo))  # year 0 in UTC: overflows
    with pytest.raises(OutOfRange):
        check_datetime(datetime(9999, 12, 31, 23, 59, tzinfo=UTC))


def test_every_time_in_range_can_move_to_any_zone_and_a_day_either_way() -> None:
    for edge in (EARLIEST, LATEST):
        for hours in (-12, 14):
            moved = edge.astimezone(timezone(timedelta(hours=hours)))
            assert (moved + timedelta(days=1)) - timedelta(days=2)


def test_it_checks_naive_times_by_their_date() -> None:
    assert check_datetime(datetime(2030, 1, 1, 12)) == datetime(2030, 1, 1, 12)
    with pytest.raises(OutOfRange):
        check_datetime(datetime(9999, 1, 1))
