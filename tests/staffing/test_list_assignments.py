"""ListAssignments over real gRPC: a person's coming shifts, for themselves or their manager."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import grpc
import pytest
from google.protobuf import timestamp_pb2

from clinops import rpc
from clinops.clock import fixed_clock
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from services.staffing.model import Assignment, Duty, Shift
from services.staffing.server import create_server
from services.staffing.store import StaffingStore
from tests.staffing.staffing_fixtures import TEAM

TIMEOUT = 5.0
# 10:00 in California on 2026-11-26: that day's day shift has already started.
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)


@pytest.fixture
def staffing(store: StaffingStore) -> Iterator[staffing_pb2_grpc.StaffingServiceStub]:
    store.add_assignment(Assignment("S2", "ICU", date(2026, 12, 3), Shift.NIGHT,
                                           Duty.STAFF, True))
    store.add_assignment(Assignment("S2", "ICU", date(2026, 12, 1), Shift.DAY,
                                           Duty.STAFF, True))
    server, port = create_server(store=store, clock=fixed_clock(NOW))
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield staffing_pb2_grpc.StaffingServiceStub(channel)
    server.stop(None)


def assignments(stub, caller: str, **request):  # noqa: ANN001, ANN201
    return stub.ListAssignments(staffing_pb2.ListAssignmentsRequest(**request), timeout=TIMEOUT,
                                metadata=rpc.caller_metadata(rpc.Caller(TEAM, caller)))


def stamp(instant: datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(instant)
    return message


def test_a_nurse_sees_her_coming_shifts_in_order_with_their_windows(staffing) -> None:  # noqa: ANN001
    found = assignments(staffing, "US2").assignments
    assert [(a.window.date.day, a.window.shift) for a in found] == [(1, 1), (3, 2)]
    night = found[1]
    # 19:00 Pacific (PST, UTC-8) is 03:00 UTC the next day; the shift ends 07:00 local.
    assert night.window.starts_at.ToDatetime(UTC) == datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    assert night.window.ends_at.ToDatetime(UTC) == datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert night.unit_id == "ICU" and night.carries_patients


def test_the_charge_nurse_sees_a_unit_nurses_shifts_inside_a_window(staffing) -> None:  # noqa: ANN001
    found = assignments(staffing, "US1", staff_id="S2",
                        starts_after=stamp(datetime(2026, 12, 2, tzinfo=UTC))).assignments
    assert [a.window.date.day for a in found] == [3]


def test_another_staff_nurse_may_not_see_her_shifts(staffing) -> None:  # noqa: ANN001
    with pytest.raises(grpc.RpcError) as error:
        assignments(staffing, "US3", staff_id="S2")
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_window_that_ends_before_it_starts_names_the_field(staffing) -> None:  # noqa: ANN001
    with pytest.raises(grpc.RpcError) as error:
        assignments(staffing, "US2", starts_after=stamp(NOW), starts_before=stamp(NOW))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "starts_before" in error.value.details()
