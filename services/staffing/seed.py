"""Load the demo hospital (clinops.demo.hospital) into a staffing store, for `clinops demo`."""

from __future__ import annotations

from typing import Any

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
    parse_enum,
)
from services.staffing.store import StaffingStore


def _unit(demo: Any) -> Unit:
    return Unit(
        unit_id=demo.unit_id, name=demo.name, category=parse_enum(UnitCategory, demo.category),
        slack_channel_id=demo.slack_channel_id, time_zone=demo.time_zone,
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


def seed_demo(store: StaffingStore, hospital: Any) -> None:
    """Units, staff directory, census and assignments of a `clinops.demo.hospital.DemoHospital`."""
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
