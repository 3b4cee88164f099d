"""The staffing service over real gRPC on an OS-chosen port, with a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from clinops import authz, rpc
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from services.staffing.server import create_server
from services.staffing.store import StaffingStore
from tests.staffing.staffing_fixtures import TEAM

TIMEOUT = 5.0
# 10:00 in California on 2026-11-26: the day shift is in progress.
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
CHARGE_NURSE = rpc.Caller(TEAM, "US1")
STRANGER = rpc.Caller(TEAM, "U_NOBODY")


@pytest.fixture
def channel(store: StaffingStore) -> Iterator[grpc.Channel]:
    server, port = create_server(store=store, clock=fixed_clock(NOW))
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as opened:
        yield opened
    server.stop(None)


@pytest.fixture
def staffing(channel: grpc.Channel) -> staffing_pb2_grpc.StaffingServiceStub:
    return staffing_pb2_grpc.StaffingServiceStub(channel)


def gaps(stub, caller: rpc.Caller = CHARGE_NURSE, **request):  # noqa: ANN001, ANN201
    return stub.GetShiftGaps(staffing_pb2.GetShiftGapsRequest(**request), timeout=TIMEOUT,
                             metadata=rpc.caller_metadata(caller))


def refused(call) -> grpc.RpcError:  # noqa: ANN001
    with pytest.raises(grpc.RpcError) as error:
        call()
    return error.value


def test_shift_gaps_show_required_against_counted_with_the_rule(staffing) -> None:  # noqa: ANN001
    today = common_pb2.DaySpec(relative=common_pb2.RELATIVE_DAY_TODAY)
    answer = gaps(staffing, unit_id="icu", day=today, shift=common_pb2.SHIFT_DAY)
    assert answer.unit.unit_id == "ICU" and answer.census_recorded and answer.census.patients == 7
    lines = {line.role: line for line in answer.gaps}
    licensed = lines["Licensed nurse"]
    assert (licensed.required, licensed.counted, licensed.gap) == (4, 3, 1)
    assert licensed.rule == "Title 22 ICU 1:2 (census 7)"
    assert (lines["CNA"].required, lines["CNA"].counted, lines["CNA"].gap) == (1, 1, 0)
    assert answer.ratio_rule == "Title 22 ICU: 1 licensed nurse per 2 patients"
    counted = {d.staff_id: d.counted for d in answer.on_duty}
    assert counted == {"S1": False, "S2": True, "S3": True, "S4": True, "S5": False}
    assert answer.as_of.ToDatetime(UTC) == NOW


def test_no_day_means_the_shift_in_progress_at_the_facility(staffing) -> None:  # noqa: ANN001
    window = gaps(staffing, unit_id="ICU").window
    assert (window.date.year, window.date.month, window.date.day) == (2026, 11, 26)
    assert window.shift == common_pb2.SHIFT_DAY
    assert window.starts_at.ToDatetime(UTC) == datetime(2026, 11, 26, 15, tzinfo=UTC)


def test_a_shift_without_census_says_so_and_requires_nothing(staffing) -> None:  # noqa: ANN001
    answer = gaps(staffing, unit_id="ICU", shift=common_pb2.SHIFT_NIGHT)
    assert not answer.census_recorded and not answer.HasField("census")
    assert list(answer.gaps) == []


def test_an_empty_unit_means_the_callers_home_unit(staffing) -> None:  # noqa: ANN001
    assert gaps(staffing).unit.unit_id == "ICU"


def test_a_stranger_asking_for_shift_gaps_is_refused(staffing) -> None:  # noqa: ANN001
    # Who is on duty is for the facility's staff (staffing's authorisation table).
    error = refused(lambda: gaps(staffing, caller=STRANGER))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "staff directory" in error.details()


def test_an_unknown_unit_is_not_found_and_names_the_known_ones(staffing) -> None:  # noqa: ANN001
    error = refused(lambda: gaps(staffing, unit_id="nowhere"))
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert "4W, ICU" in error.details()


@pytest.mark.parametrize(("request_fields", "field", "words"), [
    ({"day": common_pb2.DaySpec(date=common_pb2.Date(year=2026, month=13, day=1))},
     "day.date.month", "must be 1-12"),
    ({"day": common_pb2.DaySpec(date=common_pb2.Date(year=2026, month=2, day=30))},
     "day.date.day", "2026-02 has no day 30"),
    ({"shift": 7}, "shift", "unknown value 7"),
    ({"day": common_pb2.DaySpec(relative=9)}, "day.relative", "unknown value 9"),
    ({"unit_id": "X" * 40}, "unit_id", "at most 16 characters"),
    ({"unit_id": "4W; drop"}, "unit_id", "only"),
])
def test_bad_input_is_invalid_argument_naming_the_field(
    staffing, request_fields: dict, field: str, words: str  # noqa: ANN001
) -> None:
    error = refused(lambda: gaps(staffing, **{"unit_id": "ICU", **request_fields}))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    violations = rpc.field_violations(error)
    assert field in violations and words in violations[field]


def test_units_are_listed_and_fetched_in_any_case(staffing) -> None:  # noqa: ANN001
    listed = staffing.ListUnits(staffing_pb2.ListUnitsRequest(), timeout=TIMEOUT)
    assert [u.unit_id for u in listed.units] == ["4W", "ICU"]
    unit = staffing.GetUnit(staffing_pb2.GetUnitRequest(unit_id="4w"), timeout=TIMEOUT).unit
    assert unit.category == staffing_pb2.UNIT_CATEGORY_MED_SURG
    assert unit.time_zone == "America/Los_Angeles"


def test_the_staff_directory_answers_by_slack_identity(staffing) -> None:  # noqa: ANN001
    member = staffing.GetStaffMember(staffing_pb2.GetStaffMemberRequest(
        slack_team_id=TEAM, slack_user_id="US1"), timeout=TIMEOUT,
        metadata=rpc.caller_metadata(rpc.Caller(TEAM, "US1"))).staff_member
    assert member.staff_id == "S1" and list(member.duties) == [staffing_pb2.DUTY_CHARGE]
    error = refused(lambda: staffing.GetStaffMember(
        staffing_pb2.GetStaffMemberRequest(staff_id="NOBODY"), timeout=TIMEOUT,
        metadata=authz.service_metadata()))
    assert error.code() is grpc.StatusCode.NOT_FOUND


def test_candidates_without_an_open_shift_or_unit_name_the_missing_field(staffing) -> None:  # noqa: ANN001
    error = refused(lambda: staffing.ListCandidates(
        staffing_pb2.ListCandidatesRequest(), timeout=TIMEOUT,
        metadata=rpc.caller_metadata(rpc.Caller(TEAM, "US1"))))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT and "unit_id" in error.details()


def test_health_reports_serving(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "clinops.staffing.v1.StaffingService"):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_staffing_service(channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    (answer,) = stub.ServerReflectionInfo(iter([request]), timeout=TIMEOUT)
    names = {s.name for s in answer.list_services_response.service}
    assert "clinops.staffing.v1.StaffingService" in names
