"""Shift windows in the facility's time zone, with instants passed in (no clock read)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.staffing.errors import InvalidInput
from services.staffing.model import RelativeDay, Shift
from services.staffing.shifts import facility_zone, resolve_day, shift_at, shift_window

LA = ZoneInfo("America/Los_Angeles")


def test_the_day_shift_runs_from_seven_to_seven_local_time() -> None:
    window = shift_window(date(2026, 7, 1), Shift.DAY, LA)
    assert window.starts_at == datetime(2026, 7, 1, 14, tzinfo=UTC)  # 07:00 PDT
    assert window.ends_at == datetime(2026, 7, 2, 2, tzinfo=UTC)


def test_the_night_shift_ends_the_next_morning() -> None:
    window = shift_window(date(2026, 12, 31), Shift.NIGHT, LA)
    assert window.starts_at == datetime(2027, 1, 1, 3, tzinfo=UTC)  # 19:00 PST
    assert window.ends_at == datetime(2027, 1, 1, 15, tzinfo=UTC)


def test_two_in_the_morning_belongs_to_the_previous_dates_night_shift() -> None:
    window = shift_at(datetime(2026, 11, 26, 10, tzinfo=UTC), LA)  # 02:00 PST on the 26th
    assert (window.date, window.shift) == (date(2026, 11, 25), Shift.NIGHT)


@pytest.mark.parametrize(("utc_hour", "expected"), [
    (15, (date(2026, 11, 26), Shift.DAY)),  # 07:00 PST: the day shift has begun
    (14, (date(2026, 11, 25), Shift.NIGHT)),  # 06:00 PST
    (3, (date(2026, 11, 25), Shift.NIGHT)),  # 19:00 PST on the 25th
])
def test_the_shift_in_progress_changes_at_seven(utc_hour: int, expected: tuple) -> None:
    window = shift_at(datetime(2026, 11, 26, utc_hour, tzinfo=UTC), LA)
    assert (window.date, window.shift) == expected


def test_the_night_the_clocks_go_back_lasts_thirteen_hours() -> None:
    window = shift_window(date(2026, 10, 31), Shift.NIGHT, LA)
    assert (window.ends_at - window.starts_at).total_seconds() == 13 * 3600


def test_today_and_tomorrow_follow_the_facility_calendar_not_utc() -> None:
    late_evening = datetime(2026, 11, 27, 6, tzinfo=UTC)  # 22:00 on the 26th in California
    assert resolve_day(RelativeDay.TODAY, late_evening, LA) == date(2026, 11, 26)
    assert resolve_day(RelativeDay.TOMORROW, late_evening, LA) == date(2026, 11, 27)


def test_an_unknown_time_zone_is_bad_input_not_utc() -> None:
    with pytest.raises(InvalidInput):
        facility_zone("Mars/Olympus_Mons")
