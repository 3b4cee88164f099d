"""Load the demo hospital (clinops.demo.hospital) into a staffing store, for `clinops demo`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from clinops import sql
from services.staffing.eligibility import week_of
from services.staffing.model import (
    Assignment,
    AwardMode,
    Census,
    Duty,
    EmploymentType,
    Facility,
    GridStep,
    Role,
    Shift,
    StaffMember,
    Unit,
    UnitCategory,
    UnitPolicy,
    parse_enum,
)
from services.staffing.store import StaffingStore

# Labor & Delivery has its charge nurse confirm every claim; the other units award at once.
DEMO_POLICIES = {"LD": UnitPolicy(award_mode=AwardMode.QUEUE)}
# A 4W per diem nurse already booked on three other day shifts of tomorrow's workweek, so that
# picking up one more shows its overtime before anything is awarded.
OVERTIME_NURSE, OVERTIME_UNIT, OVERTIME_SHIFTS = "Colleen Murphy", "4W", 3


def _unit(demo: Any) -> Unit:
    return Unit(
        unit_id=demo.unit_id, name=demo.name, category=parse_enum(UnitCategory, demo.category),
        slack_channel_id=demo.slack_channel_id, time_zone=demo.time_zone,
        facility_id=getattr(demo, "facility_id", ""),
        jurisdiction=getattr(demo, "jurisdiction", "US-CA"),
        patients_per_nurse_override=demo.patients_per_nurse_override,
        unlicensed_grid=tuple(
            GridStep(parse_enum(Role, step.role), step.census_from, step.census_to, step.count)
            for step in demo.unlicensed_grid
        ),
    )


def _staff(demo: Any) -> StaffMember:
    return StaffMember(
        staff_id=demo.staff_id, display_name=demo.display_name, role=parse_enum(Role, demo.role),
        employment_type=parse_enum(EmploymentType, demo.employment_type),
        home_unit_id=demo.home_unit_id or None, slack_team_id=demo.slack_team_id,
        slack_user_id=demo.slack_user_id,
        duties=tuple(parse_enum(Duty, duty) for duty in demo.duties),
        oriented_categories=tuple(parse_enum(UnitCategory, c) for c in demo.oriented_categories),
    )


def _seed_demo(store: StaffingStore, hospital: Any) -> None:
    """Facilities, units, staff directory, census and assignments of a
    `clinops.demo.hospital.DemoHospital`."""
    for facility in getattr(hospital, "facilities", ()):
        store.add_facility(Facility(facility.facility_id, facility.name, facility.time_zone))
    for unit in hospital.units:
        store.add_unit(_unit(unit))
    for member in hospital.staff:
        store.add_staff(_staff(member))
    for census in hospital.census:
        store.record_census(census.unit_id, census.date, parse_enum(Shift, census.shift), Census(
            patients=census.patients, critical_care_patients=census.critical_care_patients,
            trauma_patients=census.trauma_patients, occupied_rooms=census.occupied_rooms,
            recorded_at=getattr(census, "recorded_at", None),
            recorded_by=getattr(census, "recorded_by", None),
        ))
    for assignment in hospital.assignments:
        store.add_assignment(Assignment(
            staff_id=assignment.staff_id, unit_id=assignment.unit_id, date=assignment.date,
            shift=parse_enum(Shift, assignment.shift), duty=parse_enum(Duty, assignment.duty),
            carries_patients=assignment.carries_patients,
        ))
    units = {unit.unit_id.upper() for unit in hospital.units}
    for unit_id, policy in DEMO_POLICIES.items():
        if unit_id in units:
            store.set_unit_policy(unit_id, policy)
    _book_overtime_nurse(store, hospital, units)


def _book_overtime_nurse(store: StaffingStore, hospital: Any, units: set[str]) -> None:
    nurse = next((s for s in hospital.staff if s.display_name == OVERTIME_NURSE), None)
    if nurse is None or OVERTIME_UNIT not in units or not hospital.census:
        return
    today = hospital.today
    tomorrow = today + timedelta(days=1)
    first, _ = week_of(tomorrow)
    # Day shifts 24 h apart leave 12 h rest, so only the weekly hours stand in the way.
    days = [first + timedelta(days=n) for n in range(7)]
    for day in [d for d in days if d not in (today, tomorrow)][:OVERTIME_SHIFTS]:
        store.add_assignment(Assignment(staff_id=nurse.staff_id, unit_id=OVERTIME_UNIT, date=day,
                                        shift=Shift.DAY, duty=Duty.STAFF, carries_patients=True))


def seed_demo(store: StaffingStore, hospital: Any) -> None:
    """The demo hospital in one transaction: a commit per row made the seed take seconds."""
    with sql.one_transaction(store.engine):
        _seed_demo(store, hospital)
