"""A small ICU and med-surg unit for staffing tests (imported by conftest and tests)."""

from __future__ import annotations

from datetime import date

from services.staffing.model import (
    Assignment,
    Census,
    Duty,
    EmploymentType,
    GridStep,
    Role,
    Shift,
    StaffMember,
    Unit,
    UnitCategory,
)
from services.staffing.store import StaffingStore

TEAM = "T0001"
SHIFT_DATE = date(2026, 11, 26)
LA = "America/Los_Angeles"


def nurse(staff_id: str, role: Role = Role.RN, home: str | None = "ICU", **extra) -> StaffMember:
    """A directory entry with a Slack id derived from the staff id."""
    return StaffMember(staff_id=staff_id, display_name=f"Nurse {staff_id}", role=role,
                       employment_type=extra.pop("employment_type", EmploymentType.UNIT_STAFF),
                       home_unit_id=home, slack_team_id=TEAM, slack_user_id=f"U{staff_id}",
                       **extra)


def populate(store: StaffingStore) -> None:
    """ICU with 7 patients on the day shift: 3 RNs carry patients, the charge nurse does not."""
    grid = (GridStep(Role.CNA, 1, 8, 1), GridStep(Role.CNA, 9, 16, 2))
    store.add_unit(Unit("icu", "Intensive Care", UnitCategory.ICU, "C_ICU", LA,
                        unlicensed_grid=grid))
    store.add_unit(Unit("4W", "4 West Med-Surg", UnitCategory.MED_SURG, "C_4W", LA))
    store.add_staff(nurse("S1", duties=(Duty.CHARGE,)))
    for staff_id in ("S2", "S3", "S4"):
        store.add_staff(nurse(staff_id))
    store.add_staff(nurse("S5", Role.CNA))
    store.add_staff(nurse("S6", home=None, employment_type=EmploymentType.FLOAT_POOL,
                          oriented_categories=(UnitCategory.ICU, UnitCategory.TELEMETRY)))
    store.record_census("ICU", SHIFT_DATE, Shift.DAY, Census(patients=7))
    store.add_assignment(Assignment("S1", "ICU", SHIFT_DATE, Shift.DAY, Duty.CHARGE, False))
    for staff_id in ("S2", "S3", "S4"):
        store.add_assignment(Assignment(staff_id, "ICU", SHIFT_DATE, Shift.DAY, Duty.STAFF, True))
    store.add_assignment(Assignment("S5", "ICU", SHIFT_DATE, Shift.DAY, Duty.STAFF, True))
