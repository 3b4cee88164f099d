"""`clinops setup docs/samples/site.yml` and `clinops import assignments` into empty SQLite and
PostgreSQL databases, then what a user sees: the real gRPC servers on those databases answer
for the hospital in the file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import grpc
import pytest
import yaml

from clinops import cli, rpc
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from clinops.supplies.v1 import supplies_pb2, supplies_pb2_grpc
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.staffing import server as staffing_server
from services.staffing.model import Facility, Shift, Unit, UnitCategory
from services.staffing.store import StaffingStore
from services.supplies import server as supplies_server
from services.supplies.store import SuppliesStore
from services.training import server as training_server
from services.training.store import TrainingStore

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
NOW = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 10:00 on the 27th in California
TIMEOUT = 5.0
TEAM = "T0SIERRA"
SUPERVISOR = f"{TEAM}:U0SV9001"  # Frank Duarte, house supervisor
ICU_CHARGE = f"{TEAM}:U0SV1002"  # Sam Okoro


def clinops(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().out.splitlines()


def as_caller(user: str) -> list[tuple[str, str]]:
    return rpc.caller_metadata(rpc.Caller(slack_team_id=TEAM, slack_user_id=user))


@pytest.fixture(autouse=True)
def _plaintext_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLINOPS_TLS_ROOT_CERT_FILE", "CLINOPS_SERVICE_TOKEN",
                 "CLINOPS_SERVICE_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)


@contextmanager
def running(databases: dict[str, str],
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[grpc.Channel, ...]]:
    """The three servers on the databases setup wrote, found as configured (CLINOPS_*_TARGET),
    and a channel to each."""
    stores = (StaffingStore.open(databases["staffing"]),
              SuppliesStore.open(databases["supplies"]),
              TrainingStore.open(databases["training"]))
    clock = fixed_clock(NOW)
    servers, channels = [], []
    for module, store in zip((staffing_server, supplies_server, training_server), stores,
                             strict=True):
        server, port = module.create_server(store=store, clock=clock)
        server.start()
        servers.append(server)
        name = module.__name__.split(".")[1].upper()
        monkeypatch.setenv(f"CLINOPS_{name}_TARGET", f"127.0.0.1:{port}")
        channels.append(grpc.insecure_channel(f"127.0.0.1:{port}"))
    try:
        yield tuple(channels)
    finally:
        for channel in channels:
            channel.close()
        for server in servers:
            server.stop(None).wait()
        for store in stores:
            store.close()


def test_a_hospital_loaded_from_its_site_file_and_roster_is_what_the_services_answer(
        databases: dict[str, str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = clinops(capsys, "setup", str(SAMPLES / "site.yml"))
    assert code == 0, lines
    # Where each part went, so a wrong or missing database setting shows.
    assert f"staffing database: {databases['staffing'].split('?')[0]}" in {
        line.split("?")[0] for line in lines}
    assert "staffing units: 3 added, 0 updated, 0 unchanged" in lines
    assert "staffing staff: 10 added, 0 updated, 0 unchanged" in lines
    assert "supplies par levels: 3 added, 0 updated, 0 unchanged" in lines
    # Not named under 3N's receivers, ICU's charge nurse signs for ICU by default.
    assert "supplies receivers: 3 added, 0 updated, 0 unchanged" in lines
    assert "training staff: 10 added, 0 updated, 0 unchanged" in lines

    with running(databases, monkeypatch) as (staffing_channel, supplies_channel,
                                             training_channel):
        # The house supervisor from the file imports the roster of both units.
        code, lines = clinops(capsys, "import", "assignments", str(SAMPLES / "roster.csv"),
                              "--as", SUPERVISOR)
        assert code == 0, lines
        assert lines[0] == "6 assignments written"
        assert "  ICU 2026-11-27 DAY: 4 on duty" in lines
        staffing = staffing_pb2_grpc.StaffingServiceStub(staffing_channel)
        units = staffing.ListUnits(staffing_pb2.ListUnitsRequest(facility_id="RENO"),
                                   timeout=TIMEOUT).units
        assert [(u.unit_id, u.name, u.patients_per_nurse_override) for u in units] == [
            ("RENO-ED", "Reno Urgent Care", 3)]
        # The ICU charge nurse from the file records the census; the gap counts the roster.
        day = common_pb2.DaySpec(date=common_pb2.Date(year=2026, month=11, day=27))
        gaps = staffing.RecordCensus(staffing_pb2.RecordCensusRequest(
            unit_id="icu", day=day, shift=common_pb2.SHIFT_DAY,
            census=staffing_pb2.Census(patients=6)),
            timeout=TIMEOUT, metadata=as_caller("U0SV1002")).shift_gaps
        assert gaps.unit.slack_channel_id == "C0SVICU01"
        licensed, cna = gaps.gaps
        assert (licensed.required, licensed.counted, licensed.gap) == (3, 2, 1)
        assert (cna.required, cna.counted) == (1, 1)
        # Counted toward the licensed ratio: the nurses carrying patients, not the charge
        # nurse (no patients in the roster) nor the CNA (the unit's grid counts them).
        assert {(d.display_name, d.counted) for d in gaps.on_duty} == {
            ("Sam Okoro", False), ("Priya Nair", True), ("Dev Patel", True),
            ("Tom Becker", False)}
        # What /shift-gap ICU asks afterwards, as a staff nurse of the unit.
        asked = staffing.GetShiftGaps(staffing_pb2.GetShiftGapsRequest(
            unit_id="ICU", day=day, shift=common_pb2.SHIFT_DAY), timeout=TIMEOUT,
            metadata=as_caller("U0SV1003"))
        assert asked.census.patients == 6 and asked.gaps[0].gap == 1
        assert "ICU" in asked.ratio_rule

        supplies = supplies_pb2_grpc.SuppliesServiceStub(supplies_channel)
        levels = supplies.GetStockStatus(supplies_pb2.GetStockStatusRequest(unit_id="ICU"),
                                         timeout=TIMEOUT).levels
        by_sku = {level.sku: level for level in levels}
        assert (by_sku["GLOVE-NIT-M"].par, by_sku["GLOVE-NIT-M"].reorder_point) == (60, 20)
        assert by_sku["IV-START-KIT"].par == 40 and by_sku["IV-START-KIT"].out_of_stock
        assert by_sku["IV-START-KIT"].item.unit_cost_cents == 325

        training = training_pb2_grpc.TrainingServiceStub(training_channel)
        mine = training.ListRecords(training_pb2.ListRecordsRequest(), timeout=TIMEOUT,
                                    metadata=as_caller("U0SV1003"))
        assert (mine.staff_id, mine.display_name, list(mine.records)) == (
            "E1003", "Priya Nair", [])
        compliance = training.GetUnitCompliance(
            training_pb2.GetUnitComplianceRequest(
                unit_id="ICU", on=common_pb2.Date(year=2026, month=11, day=27)),
            timeout=TIMEOUT, metadata=as_caller("U0SV1001"))
        assert (compliance.staff_count, compliance.fully_compliant) == (4, 0)
        # An ICU RN needs ACLS on top of BLS and the licence: the requirement reaches the
        # people the file put on the ICU.
        priya = next(g for g in compliance.gaps if g.staff_id == "E1003")
        assert "ACLS" in {f.certification_code for f in priya.findings}


def test_loading_the_same_file_again_changes_nothing_and_a_change_is_an_update(
        databases: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert clinops(capsys, "setup", str(SAMPLES / "site.yml"))[0] == 0
    code, lines = clinops(capsys, "setup", str(SAMPLES / "site.yml"))
    assert code == 0
    counts = [line for line in lines if " added, " in line]
    assert len(counts) == 10 and all(" 0 added, 0 updated, " in line for line in counts), lines
    assert "supplies approvers: 0 added, 0 updated, 4 unchanged" in lines

    document = yaml.safe_load((SAMPLES / "site.yml").read_text(encoding="utf-8"))
    document["units"][0]["par_levels"][0]["par"] = 50
    document["units"][0]["approvers"][0]["spending_limit"] = 3000
    document["staff"][2]["name"] = "Priya Nair-Shah"
    document["units"][1]["overtime"] = "ALLOW"
    del document["units"][2]  # RENO-ED stays in the databases: setup never deletes
    document["staff"] = [s for s in document["staff"] if s["id"] != "E3001"]
    path = tmp_path / "site.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    code, lines = clinops(capsys, "setup", str(path))
    assert code == 0, lines
    assert ("staffing units: 0 added, 1 updated, 1 unchanged; left as is (not in the file): "
            "RENO-ED") in lines
    assert ("staffing staff: 0 added, 1 updated, 8 unchanged; left as is (not in the file): "
            "E3001") in lines
    assert "supplies par levels: 0 added, 1 updated, 2 unchanged" in lines
    assert "supplies approvers: 0 added, 1 updated, 3 unchanged" in lines
    assert "training staff: 0 added, 1 updated, 8 unchanged" in lines

    staffing = StaffingStore.open(databases["staffing"])
    supplies = SuppliesStore.open(databases["supplies"])
    try:
        assert staffing.get_unit("RENO-ED").name == "Reno Urgent Care"
        assert staffing.get_staff("E1003").display_name == "Priya Nair-Shah"
        assert staffing.unit_policy("3N").overtime.value == "ALLOW"
        assert supplies.get_stock("ICU", "IV-START-KIT").par == 50
        assert supplies.approvers("ICU")[0].limit_cents == 300_000
    finally:
        staffing.close()
        supplies.close()


def test_one_service_at_a_time_writes_only_that_services_database(
        databases: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = clinops(capsys, "setup", str(SAMPLES / "site.yml"), "--service", "supplies")
    assert code == 0
    assert {line.split()[0] for line in lines} == {"supplies"}
    staffing = StaffingStore.open(databases["staffing"])  # migrated by nobody yet
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011 - no schema at all
            staffing.list_units()
    finally:
        staffing.close()


def test_a_facility_whose_units_live_in_another_zone_is_refused_before_anything_is_written(
        databases: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from services.staffing.store import migrate
    migrate(databases["staffing"])
    staffing = StaffingStore.open(databases["staffing"])
    try:
        staffing.add_facility(Facility("SVMC", "Sierra Vista", "America/Denver"))
        staffing.add_unit(Unit("OLD", "Old unit", UnitCategory.ICU, "C0OLD0001",
                               "America/Denver", facility_id="SVMC"))
    finally:
        staffing.close()
    code, lines = clinops(capsys, "setup", str(SAMPLES / "site.yml"))
    assert code == 1
    assert ("staffing: facilities[0].time_zone: facility SVMC already has units in "
            "America/Denver; its zone cannot change") in lines
    assert lines[-1] == "nothing was written to staffing"
    supplies = SuppliesStore.open(databases["supplies"])
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011 - supplies was not even migrated
            supplies.list_units()
    finally:
        supplies.close()


def test_a_roster_row_that_cannot_be_read_is_named_and_staffing_is_not_asked(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "Employee ID,Unit,Shift Date,Shift,Duty,Patient Assignment\n"
        "E1003,ICU,11/27/2026,DAY,STAFF,yes\n"
        "E1004,ICU,2026-11-27,EVENING,,\n"
        "E2003,3N,2026-02-30,NIGHT,FLOAT,maybe\n"
        ",3N,2026-11-28,NIGHT,,\n", encoding="utf-8")
    # No staffing runs at all: the file is refused before anything is sent.
    code, lines = clinops(capsys, "import", "assignments", str(roster), "--as", SUPERVISOR)
    assert code == 1
    assert lines == [
        "row 2: shift 'EVENING' is not DAY or NIGHT",
        "row 3: date '2026-02-30' is not YYYY-MM-DD or M/D/YYYY; duty 'FLOAT' is not one of "
        "STAFF, CHARGE, MANAGER, SUPERVISOR, TRIAGE, EDUCATOR; carries patients 'maybe' is not "
        "yes or no",
        "row 4: staff id is missing",
        "3 entries were rejected; nothing was written",
    ]


def test_staffing_rejects_each_roster_row_it_cannot_accept_and_writes_none(
        databases: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert clinops(capsys, "setup", str(SAMPLES / "site.yml"))[0] == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "staff_id,unit,date,shift\n"
        "E1003,ICU,2026-11-27,DAY\n"
        "E9999,ICU,2026-11-27,DAY\n"
        "E1004,5E,2026-11-27,NIGHT\n"
        "E1003,icu,2026-11-27,day\n"
        "E2003,3N,2026-11-27,NIGHT\n", encoding="utf-8")
    with running(databases, monkeypatch):
        code, lines = clinops(capsys, "import", "assignments", str(roster), "--as", ICU_CHARGE)
        assert code == 1
        assert lines == [
            "row 2: no staff member 'E9999'",
            "row 3: unknown unit '5E'; known: 3N, ICU, RENO-ED",
            "row 4: E1003 is already on the 2026-11-27 DAY shift in row 1",
            "row 5: only the charge nurse or manager of 3N (or a house supervisor) can put "
            "people on its shifts",
            "4 entries were rejected; nothing was written",
        ]
        code, lines = clinops(capsys, "import", "assignments", str(roster), "--as",
                              f"{TEAM}:U0NOBODY")
        assert code == 1
        assert lines == ["refused: You are not in the staff directory; ask your unit manager.",
                         "nothing was written"]
        # The ICU's own rows, from its charge nurse, twice: each person on the shift once.
        roster.write_text("staff_id,unit,date,shift,duty\n"
                          "E1002,ICU,2026-11-27,DAY,CHARGE\n"
                          "E1003,ICU,2026-11-27,DAY,\n", encoding="utf-8")
        for _ in range(2):
            code, lines = clinops(capsys, "import", "assignments", str(roster), "--as",
                                  ICU_CHARGE)
            assert (code, lines[0]) == (0, "2 assignments written")
            roster.touch()  # a new export of the same roster, not a retry
    staffing = StaffingStore.open(databases["staffing"])
    try:
        on_duty = staffing.assignments_for_shift("ICU", date(2026, 11, 27), Shift.DAY)
        assert [(a.staff_id, a.duty.value, a.carries_patients) for a in
                sorted(on_duty, key=lambda a: a.staff_id)] == [
            ("E1002", "CHARGE", False), ("E1003", "STAFF", True)]
        assert [e.outcome for e in staffing.audit_entries()
                if e.action == "import_assignments"] == ["REJECTED", "WRITTEN", "WRITTEN"]
    finally:
        staffing.close()


def test_import_assignments_refuses_malformed_requests_with_field_details(
        databases: dict[str, str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert clinops(capsys, "setup", str(SAMPLES / "site.yml"), "--service", "staffing")[0] == 0
    with running(databases, monkeypatch) as (staffing_channel, _, _):
        staffing = staffing_pb2_grpc.StaffingServiceStub(staffing_channel)
        for request, field in (
            (staffing_pb2.ImportAssignmentsRequest(), "rows"),
            (staffing_pb2.ImportAssignmentsRequest(rows=[staffing_pb2.AssignmentRow(
                staff_id="E1003", unit_id="ICU", shift=common_pb2.SHIFT_DAY,
                date=common_pb2.Date(year=2026, month=13, day=1))]), "rows[0].date.month"),
            (staffing_pb2.ImportAssignmentsRequest(rows=[staffing_pb2.AssignmentRow(
                staff_id="E1003", unit_id="ICU", shift=7,
                date=common_pb2.Date(year=2026, month=11, day=27))]), "rows[0].shift"),
        ):
            with pytest.raises(grpc.RpcError) as error:
                staffing.ImportAssignments(request, timeout=TIMEOUT,
                                           metadata=as_caller("U0SV9001"))
            assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert field in rpc.field_violations(error.value)
