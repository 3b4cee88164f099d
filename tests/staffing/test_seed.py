"""Seeding the staffing store from the demo hospital."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from types import SimpleNamespace as Shape

import pytest

from services.staffing.model import Duty, Role, Shift, UnitCategory
from services.staffing.seed import seed_demo
from services.staffing.store import StaffingStore, migrate

TODAY = date(2026, 11, 26)


@pytest.fixture
def empty_store(database_url: str) -> Iterator[StaffingStore]:
    migrate(database_url)
    store = StaffingStore.open(database_url)
    yield store
    store.close()


def small_hospital() -> Shape:
    """Shaped like clinops.demo.hospital.DemoHospital, with one unit and two people."""
    grid = (Shape(role="CNA", census_from=1, census_to=12, count=1),)
    unit = Shape(unit_id="tele", name="Telemetry", category="TELEMETRY", slack_channel_id="C9",
                 time_zone="America/Los_Angeles", patients_per_nurse_override=None,
                 unlicensed_grid=grid)

    def person(staff_id: str, role: str, duties: tuple = ()) -> Shape:
        return Shape(staff_id=staff_id, display_name=staff_id.title(), role=role,
                     employment_type="UNIT_STAFF", home_unit_id="TELE", slack_team_id="T1",
                     slack_user_id=f"U{staff_id}", duties=duties,
                     oriented_categories=("TELEMETRY",))

    return Shape(
        team_id="T1", units=(unit,),
        staff=(person("ana", "RN", ("CHARGE",)), person("bo", "CNA")),
        census=(Shape(unit_id="TELE", date=TODAY, shift="DAY", patients=9,
                      critical_care_patients=0, trauma_patients=0, occupied_rooms=0),),
        assignments=(Shape(staff_id="ana", unit_id="TELE", date=TODAY, shift="DAY",
                           duty="CHARGE", carries_patients=False),
                     Shape(staff_id="bo", unit_id="TELE", date=TODAY, shift="DAY",
                           duty="STAFF", carries_patients=True)),
    )


def test_seeding_loads_units_staff_census_and_assignments(empty_store: StaffingStore) -> None:
    seed_demo(empty_store, small_hospital())
    unit = empty_store.get_unit("TELE")
    assert unit.category is UnitCategory.TELEMETRY and unit.unlicensed_grid[0].role is Role.CNA
    assert empty_store.find_staff_by_slack("T1", "Uana").duties == (Duty.CHARGE,)
    assert empty_store.get_census("tele", TODAY, Shift.DAY).patients == 9
    assert len(empty_store.assignments_for_shift("TELE", TODAY, Shift.DAY)) == 2


def test_the_real_demo_hospital_seeds_cleanly(empty_store: StaffingStore) -> None:
    hospital_module = pytest.importorskip("clinops.demo.hospital")
    hospital = hospital_module.build_hospital(TODAY)
    seed_demo(empty_store, hospital)
    assert len(empty_store.list_units()) == len(hospital.units) >= 6
    assert empty_store.count_staff() == len(hospital.staff)
