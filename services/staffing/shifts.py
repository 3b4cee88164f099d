"""Shift windows in the facility's own time zone: DAY 07:00-19:00, NIGHT 19:00-07:00 next day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.staffing.errors import InvalidInput
from services.staffing.model import RelativeDay, Shift

DAY_STARTS = time(7, 0)
NIGHT_STARTS = time(19, 0)


@dataclass(frozen=True)
class ShiftWindow:
    """A shift on a date (the date it starts), with its start and end as UTC instants."""

    date: date
    shift: Shift
    starts_at: datetime
    ends_at: datetime


def facility_zone(name: str, *, field: str = "time_zone") -> ZoneInfo:
    """The IANA zone named `name`; an unknown name is bad input, never UTC by default."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput({field: f"unknown IANA time zone {name!r}"}) from None


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def shift_window(day: date, shift: Shift, zone: ZoneInfo) -> ShiftWindow:
    """The window of `shift` starting on `day`; wall-clock times, so DST shifts are 11 or 13 h."""
    if shift is Shift.DAY:
        starts, ends = _local(day, DAY_STARTS, zone), _local(day, NIGHT_STARTS, zone)
    else:
        starts = _local(day, NIGHT_STARTS, zone)
        ends = _local(day + timedelta(days=1), DAY_STARTS, zone)
    return ShiftWindow(day, shift, starts, ends)


def shift_at(instant: datetime, zone: ZoneInfo) -> ShiftWindow:
    """The shift in progress at `instant`; 02:00 belongs to the previous date's night shift."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    local = instant.astimezone(zone)
    if DAY_STARTS <= local.time() < NIGHT_STARTS:
        return shift_window(local.date(), Shift.DAY, zone)
    started = local.date() if local.time() >= NIGHT_STARTS else local.date() - timedelta(days=1)
    return shift_window(started, Shift.NIGHT, zone)


def resolve_day(relative: RelativeDay, instant: datetime, zone: ZoneInfo) -> date:
    """TODAY or TOMORROW as the calendar in the facility's time zone says at `instant`."""
    today = instant.astimezone(zone).date()
    return today if relative is RelativeDay.TODAY else today + timedelta(days=1)
