"""The reminder scan reads only records whose expiry can be due: never one fewer than needed."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.training.domain import due_threshold, expiries_that_may_be_due

DAY = date(2026, 11, 26)


def selected(expires_on: date, expired_by: date, ranges: list[tuple[date, date]]) -> bool:
    return expires_on <= expired_by or any(first <= expires_on <= last for first, last in ranges)


@given(
    expiry_offset=st.integers(min_value=-800, max_value=800),
    missed_days=st.integers(min_value=1, max_value=40),
    reminder_days=st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=5),
)
def test_every_record_due_a_reminder_is_among_those_the_scan_selects(
    expiry_offset: int, missed_days: int, reminder_days: list[int]
) -> None:
    expires_on = DAY + timedelta(days=expiry_offset)
    since = DAY - timedelta(days=missed_days)
    expired_by, ranges = expiries_that_may_be_due(reminder_days, on=DAY, since=since)

    if due_threshold(expires_on, reminder_days, on=DAY, since=since) is not None:
        assert selected(expires_on, expired_by, ranges)


def test_a_daily_scan_selects_the_lapsed_and_one_day_per_threshold() -> None:
    expired_by, ranges = expiries_that_may_be_due([90, 30, 7], on=DAY)

    assert expired_by == DAY - timedelta(days=1)
    assert ranges == [(DAY + timedelta(days=d), DAY + timedelta(days=d)) for d in (7, 30, 90)]
