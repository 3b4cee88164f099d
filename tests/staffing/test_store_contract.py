"""The staffing store's contract, on a SQLite file and on PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy

from services.staffing.errors import NoRatioRule, UnknownStaff, UnknownUnit
from services.staffing.model import (
    Assignment,
    Census,
    Duty,
    PatientGroup,
    Role,
    Shift,
    UnitCategory,
)
from services.staffing.store import StaffingStore, migrate
from tests.staffing.staffing_fixtures import SHIFT_DATE, TEAM, nurse, populate


@pytest.fixture
def store(database_url: str) -> Iterator[StaffingStore]:
    migrate(database_url)
    opened = StaffingStore.open(database_url)
    populate(opened)
    yield opened
    opened.close()


def test_migrating_twice_is_harmless(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    store = StaffingStore.open(database_url)
    assert store.list_units() == []
    store.close()


def test_units_are_found_whatever_the_letter_case(store: StaffingStore) -> None:
    assert store.get_unit("icu").unit_id == "ICU"
    assert store.get_unit("4w").name == "4 West Med-Surg"
    assert [u.unit_id for u in store.list_units()] == ["4W", "ICU"]


def test_an_unknown_unit_names_the_known_ones(store: StaffingStore) -> None:
    with pytest.raises(UnknownUnit) as missing:
        store.get_unit("5E")
    assert missing.value.known == ("4W", "ICU")


def test_a_unit_keeps_its_unlicensed_grid_in_census_order(store: StaffingStore) -> None:
    grid = store.get_unit("ICU").unlicensed_grid
    assert [(s.role, s.census_from, s.census_to, s.count) for s in grid] == [
        (Role.CNA, 1, 8, 1), (Role.CNA, 9, 16, 2)]


def test_the_migration_loads_title_22_from_the_csv(store: StaffingStore) -> None:
    assert store.ratio_rule("US-CA", UnitCategory.MED_SURG).per_nurse(PatientGroup.ALL) == 5
    ed = store.ratio_rule("US-CA", UnitCategory.EMERGENCY)
    assert ed.per_nurse(PatientGroup.TRAUMA) == 1
    assert "§70217" in ed.limits[PatientGroup.GENERAL].source
    for category in UnitCategory:
        store.ratio_rule("US-CA", category)


def test_a_jurisdiction_without_a_table_is_an_error(store: StaffingStore) -> None:
    with pytest.raises(NoRatioRule):
        store.ratio_rule("US-NY", UnitCategory.ICU)


def test_a_unit_override_is_stored_and_cleared(store: StaffingStore) -> None:
    assert store.set_patients_per_nurse_override("4w", 4).patients_per_nurse_override == 4
    assert store.set_patients_per_nurse_override("4W", None).patients_per_nurse_override is None


def test_the_staff_directory_is_keyed_by_slack_team_and_user(store: StaffingStore) -> None:
    found = store.find_staff_by_slack(TEAM, "US1")
    assert found is not None and found.staff_id == "S1" and found.duties == (Duty.CHARGE,)
    assert store.find_staff_by_slack("T9999", "US1") is None
    floater = store.get_staff("S6")
    assert floater.home_unit_id is None
    assert floater.oriented_categories == (UnitCategory.ICU, UnitCategory.TELEMETRY)


def test_two_people_cannot_share_a_slack_identity(store: StaffingStore) -> None:
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        store.add_staff(replace(nurse("S99"), slack_user_id="US1"))


def test_an_unknown_staff_id_is_an_error(store: StaffingStore) -> None:
    with pytest.raises(UnknownStaff):
        store.get_staff("NOBODY")


def test_census_is_one_figure_per_unit_date_and_shift(store: StaffingStore) -> None:
    at = datetime(2026, 11, 26, 15, 5, tzinfo=UTC)
    store.record_census("icu", SHIFT_DATE, Shift.DAY, Census(9, recorded_at=at, recorded_by="S1"))
    census = store.get_census("ICU", SHIFT_DATE, Shift.DAY)
    assert census is not None and census.patients == 9
    assert census.recorded_at == at and census.recorded_by == "S1"
    assert store.get_census("ICU", SHIFT_DATE, Shift.NIGHT) is None


def test_census_for_an_unknown_unit_is_refused(store: StaffingStore) -> None:
    with pytest.raises(UnknownUnit):
        store.record_census("5E", SHIFT_DATE, Shift.DAY, Census(3))


def test_assignments_of_a_shift_carry_role_and_name(store: StaffingStore) -> None:
    on_duty = store.assignments_for_shift("icu", SHIFT_DATE, Shift.DAY)
    assert [(a.staff_id, a.role, a.duty, a.carries_patients) for a in on_duty] == [
        ("S1", Role.RN, Duty.CHARGE, False), ("S2", Role.RN, Duty.STAFF, True),
        ("S3", Role.RN, Duty.STAFF, True), ("S4", Role.RN, Duty.STAFF, True),
        ("S5", Role.CNA, Duty.STAFF, True)]
    assert on_duty[0].display_name == "Nurse S1"
    assert store.assignments_for_shift("ICU", SHIFT_DATE, Shift.NIGHT) == []


def test_a_shift_on_record_is_its_census_and_who_is_on_it_read_together(
    store: StaffingStore,
) -> None:
    recorded_at = datetime(2026, 11, 26, 14, 5, tzinfo=UTC)
    store.record_census("ICU", SHIFT_DATE, Shift.DAY,
                        Census(9, 2, 1, 8, recorded_at=recorded_at, recorded_by="S1"))
    # Written last first, so the people come back in staff id order only if they are put in it.
    written = store.assignments_for_shift("ICU", SHIFT_DATE, Shift.DAY)
    store.remove_assignments("ICU", SHIFT_DATE, Shift.DAY)
    for assignment in reversed(written):
        store.add_assignment(assignment)
    census, on_duty = store.shift_on_record("icu", SHIFT_DATE, Shift.DAY)
    # Read on the DBAPI connection, yet typed as the Core reads are: a date, a UTC time, booleans.
    assert census == store.get_census("ICU", SHIFT_DATE, Shift.DAY)
    assert census == Census(9, 2, 1, 8, recorded_at=recorded_at, recorded_by="S1")
    assert {a.date for a in on_duty} == {SHIFT_DATE}
    assert {type(a.carries_patients) for a in on_duty} == {bool}
    assert on_duty == store.assignments_for_shift("ICU", SHIFT_DATE, Shift.DAY)
    assert [a.staff_id for a in on_duty] == ["S1", "S2", "S3", "S4", "S5"]
    assert store.shift_on_record("ICU", SHIFT_DATE, Shift.NIGHT) == (None, [])


def test_a_person_has_one_assignment_per_shift(store: StaffingStore) -> None:
    store.add_assignment(Assignment("S2", "4w", SHIFT_DATE, Shift.DAY, Duty.STAFF, True))
    assert "S2" not in {a.staff_id for a in store.assignments_for_shift("ICU", SHIFT_DATE,
                                                                         Shift.DAY)}
    assert [a.staff_id for a in store.assignments_for_shift("4W", SHIFT_DATE, Shift.DAY)] == ["S2"]
