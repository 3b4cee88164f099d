"""One function per staffing RPC: keyword-only arguments, the store and clock passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from clinops.clock import Clock
from services.staffing.domain import shift_staffing
from services.staffing.errors import InvalidInput, NoHomeUnit, UnknownStaff
from services.staffing.model import (
    Assignment,
    Census,
    GapLine,
    RatioRule,
    RelativeDay,
    Shift,
    StaffMember,
    Unit,
    UnitCategory,
)
from services.staffing.shifts import ShiftWindow, facility_zone, resolve_day, shift_at, shift_window

MAX_UNIT_ID = 16


class Store(Protocol):
    """What the use cases need of a store (StaffingStore, or a fake in unit tests)."""

    def list_units(self) -> list[Unit]: ...
    def get_unit(self, unit_id: str) -> Unit: ...
    def ratio_rule(self, jurisdiction: str, category: UnitCategory) -> RatioRule: ...
    def get_staff(self, staff_id: str) -> StaffMember: ...
    def find_staff_by_slack(self, slack_team_id: str, slack_user_id: str) -> StaffMember | None: ...
    def get_census(self, unit_id: str, day: date, shift: Shift) -> Census | None: ...
    def assignments_for_shift(self, unit_id: str, day: date, shift: Shift) -> list[Assignment]: ...


@dataclass(frozen=True)
class OnDuty:
    assignment: Assignment
    counted: bool


@dataclass(frozen=True)
class ShiftGaps:
    """Required against counted per role for one unit and shift, as of an instant."""

    unit: Unit
    window: ShiftWindow
    census: Census | None
    gaps: tuple[GapLine, ...]
    on_duty: tuple[OnDuty, ...]
    ratio_rule: str
    as_of: datetime


def check_unit_id(unit_id: str, *, field: str = "unit_id") -> str:
    """Refuse ids no unit could have before asking the store."""
    cleaned = unit_id.strip()
    if len(cleaned) > MAX_UNIT_ID:
        raise InvalidInput({field: f"at most {MAX_UNIT_ID} characters"})
    if not all(c.isascii() and (c.isalnum() or c in "-_&.") for c in cleaned):
        raise InvalidInput({field: "letters, digits, '-', '_', '&' or '.' only"})
    return cleaned


def list_units(*, store: Store) -> list[Unit]:
    """Every unit of the facility."""
    return store.list_units()


def get_unit(*, unit_id: str, store: Store) -> Unit:
    """One unit by id, in any letter case."""
    cleaned = check_unit_id(unit_id)
    if not cleaned:
        raise InvalidInput({"unit_id": "required"})
    return store.get_unit(cleaned)


def get_staff_member(
    *, staff_id: str = "", slack_team_id: str = "", slack_user_id: str = "", store: Store
) -> StaffMember:
    """A directory entry by staff id, or by Slack team and user id."""
    if staff_id:
        return store.get_staff(staff_id)
    if not (slack_team_id and slack_user_id):
        raise InvalidInput({"staff_id": "give a staff id, or both a Slack team and user id"})
    member = store.find_staff_by_slack(slack_team_id, slack_user_id)
    if member is None:
        raise UnknownStaff(f"no staff member for Slack user {slack_team_id}/{slack_user_id}")
    return member


def _home_unit_id(store: Store, slack_team_id: str, slack_user_id: str) -> str:
    if not (slack_team_id and slack_user_id):
        raise NoHomeUnit("no unit given and the caller is not identified; name a unit")
    member = store.find_staff_by_slack(slack_team_id, slack_user_id)
    if member is None:
        raise NoHomeUnit("no unit given and you are not in the staff directory; name a unit")
    if not member.home_unit_id:
        raise NoHomeUnit(f"no unit given and {member.display_name} has no home unit; name a unit")
    return member.home_unit_id


def get_shift_gaps(
    *,
    unit_id: str,
    day: date | RelativeDay | None,
    shift: Shift | None,
    slack_team_id: str,
    slack_user_id: str,
    store: Store,
    clock: Clock,
) -> ShiftGaps:
    """Required versus counted per role for a unit's shift (default: caller's unit, shift now)."""
    cleaned = check_unit_id(unit_id)
    unit = store.get_unit(cleaned or _home_unit_id(store, slack_team_id, slack_user_id))
    zone = facility_zone(unit.time_zone)
    now = clock()
    if day is None and shift is None:
        window = shift_at(now, zone)
    else:
        if day is None or isinstance(day, RelativeDay):
            on = resolve_day(day or RelativeDay.TODAY, now, zone)
        else:
            on = day
        window = shift_window(on, shift or Shift.DAY, zone)
    rule = store.ratio_rule(unit.jurisdiction, unit.category)
    census = store.get_census(unit.unit_id, window.date, window.shift)
    assignments = store.assignments_for_shift(unit.unit_id, window.date, window.shift)
    if census is None:
        staffing = shift_staffing(unit=unit, rule=rule, census=Census(0), assignments=assignments)
        gaps: tuple[GapLine, ...] = ()  # nothing can be required of a census nobody recorded
    else:
        staffing = shift_staffing(unit=unit, rule=rule, census=census, assignments=assignments)
        gaps = staffing.lines
    on_duty = tuple(OnDuty(a, a.staff_id in staffing.counted_staff_ids) for a in assignments)
    return ShiftGaps(unit, window, census, gaps, on_duty, staffing.ratio_rule, now)
