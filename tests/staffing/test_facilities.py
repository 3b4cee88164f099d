"""Facilities: units belong to one, each in its own time zone; the migration keeps old units."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from clinops import authz, rpc
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.sql import create_db_engine
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from services.staffing.model import Facility, Unit, UnitCategory
from services.staffing.server import create_server
from services.staffing.store import MIGRATIONS, StaffingStore, migrate

TIMEOUT = 5.0
NEW_YORK, LA = "America/New_York", "America/Los_Angeles"
# 23:30 on Thursday 26 November in New York is already Friday 27 November in UTC.
NY_LATE_EVENING = datetime(2026, 11, 27, 4, 30, tzinfo=UTC)


def _alembic(url: str, revision: str) -> None:
    engine = create_db_engine(url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def test_upgrading_from_0007_gives_each_zone_a_facility_and_keeps_every_unit(
        database_url: str) -> None:
    _alembic(database_url, "0007")
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        for unit_id, zone in (("ICU", LA), ("4W", LA), ("CLINIC", NEW_YORK)):
            connection.execute(sa.text(
                "INSERT INTO units (unit_id, name, category, slack_channel_id, time_zone, "
                "jurisdiction, award_mode, overtime_policy) VALUES (:id, :id, 'ICU', '', :zone, "
                "'US-CA', 'AUTO', 'ALLOW')"), {"id": unit_id, "zone": zone})
    engine.dispose()

    migrate(database_url)
    store = StaffingStore.open(database_url)
    try:
        assert store.list_facilities() == [Facility("F2", NEW_YORK, NEW_YORK),
                                           Facility("MAIN", "Main facility", LA)]
        icu, clinic = store.get_unit("icu"), store.get_unit("CLINIC")
        assert (icu.facility_id, icu.time_zone) == ("MAIN", LA)
        assert (clinic.facility_id, clinic.time_zone) == ("F2", NEW_YORK)
        assert [u.unit_id for u in store.list_units("MAIN")] == ["4W", "ICU"]
        # A unit added the old way (a zone, no facility) joins the facility in that zone.
        store.add_unit(Unit("5E", "5 East", UnitCategory.MED_SURG, "", LA))
        assert store.get_unit("5E").facility_id == "MAIN"
    finally:
        store.close()


def test_a_unit_whose_zone_contradicts_its_facility_is_refused(database_url: str) -> None:
    migrate(database_url)
    store = StaffingStore.open(database_url)
    try:
        store.add_unit(Unit("ICU", "ICU", UnitCategory.ICU, "", LA))
        with pytest.raises(ValueError, match="its facility MAIN keeps America/Los_Angeles"):
            store.add_unit(Unit("CLINIC", "Clinic", UnitCategory.MED_SURG, "", NEW_YORK,
                                facility_id="MAIN"))
        with pytest.raises(ValueError, match="which no facility is"):
            store.add_unit(Unit("CLINIC", "Clinic", UnitCategory.MED_SURG, "", NEW_YORK))
    finally:
        store.close()


@pytest.fixture
def staffing(database_url: str) -> Iterator[staffing_pb2_grpc.StaffingServiceStub]:
    """Two facilities: a Los Angeles hospital's ICU and a New York clinic, late evening in NY."""
    migrate(database_url)
    store = StaffingStore.open(database_url)
    store.add_unit(Unit("ICU", "Intensive Care", UnitCategory.ICU, "C_ICU", LA))
    store.add_facility(Facility("NYC", "Hudson Clinic", NEW_YORK))
    store.add_unit(Unit("HC1", "Hudson infusion", UnitCategory.MED_SURG, "C_HC1", NEW_YORK,
                        facility_id="NYC"))
    server, port = create_server(store=store, clock=fixed_clock(NY_LATE_EVENING))
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield staffing_pb2_grpc.StaffingServiceStub(channel)
    server.stop(None)
    store.close()


def test_list_facilities_and_a_facilitys_units(staffing) -> None:  # noqa: ANN001
    facilities = staffing.ListFacilities(staffing_pb2.ListFacilitiesRequest(),
                                         timeout=TIMEOUT).facilities
    assert [(f.facility_id, f.name, f.time_zone) for f in facilities] == [
        ("MAIN", "Main facility", LA), ("NYC", "Hudson Clinic", NEW_YORK)]
    [clinic] = staffing.ListUnits(staffing_pb2.ListUnitsRequest(facility_id="nyc"),
                                  timeout=TIMEOUT).units
    assert (clinic.unit_id, clinic.facility_id, clinic.time_zone) == ("HC1", "NYC", NEW_YORK)
    every = staffing.ListUnits(staffing_pb2.ListUnitsRequest(), timeout=TIMEOUT).units
    assert [u.unit_id for u in every] == ["HC1", "ICU"]


def test_an_unknown_facility_is_not_found_and_a_malformed_one_invalid(staffing) -> None:  # noqa: ANN001
    with pytest.raises(grpc.RpcError) as error:
        staffing.ListUnits(staffing_pb2.ListUnitsRequest(facility_id="NOWHERE"), timeout=TIMEOUT)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert "known facilities: MAIN, NYC" in error.value.details()
    with pytest.raises(grpc.RpcError) as error:
        staffing.ListUnits(staffing_pb2.ListUnitsRequest(facility_id="no such; id"),
                           timeout=TIMEOUT)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "facility_id" in rpc.field_violations(error.value)


def test_now_is_each_facilitys_own_shift_and_day(staffing) -> None:  # noqa: ANN001
    caller = authz.service_metadata()  # as the scheduler's digest asks
    clinic = staffing.GetShiftGaps(staffing_pb2.GetShiftGapsRequest(unit_id="HC1"),
                                   timeout=TIMEOUT, metadata=caller).window
    icu = staffing.GetShiftGaps(staffing_pb2.GetShiftGapsRequest(unit_id="ICU"),
                                timeout=TIMEOUT, metadata=caller).window
    # 04:30 UTC on the 27th: still the 26th's night shift in New York (23:30) and Los Angeles.
    assert (clinic.date.day, clinic.shift) == (26, common_pb2.SHIFT_NIGHT)
    assert (icu.date.day, icu.shift) == (26, common_pb2.SHIFT_NIGHT)
    # Each night shift starts at 19:00 facility time: 00:00 UTC in New York, 03:00 UTC in LA.
    assert clinic.starts_at.ToDatetime(UTC) == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert icu.starts_at.ToDatetime(UTC) == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    today = common_pb2.DaySpec(relative=common_pb2.RELATIVE_DAY_TODAY)
    day = staffing.GetShiftGaps(staffing_pb2.GetShiftGapsRequest(unit_id="HC1", day=today),
                                timeout=TIMEOUT, metadata=caller).window
    assert (day.date.month, day.date.day) == (11, 26)
