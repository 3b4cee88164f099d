"""Staffing asks a fake training service over real gRPC; both servers on OS-chosen ports."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from datetime import UTC, datetime

import grpc
import pytest

from clinops import rpc
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.staffing.server import create_server
from services.staffing.store import StaffingStore
from tests.staffing.staffing_fixtures import SHIFT_DATE, TEAM

TIMEOUT = 5.0
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
CHARGE_NURSE = rpc.Caller(TEAM, "US1")
FLOAT_NURSE = rpc.Caller(TEAM, "US6")


class FakeTraining(training_pb2_grpc.TrainingServiceServicer):
    """Answers CheckEligibility: S6's ACLS expired; records what staffing asked."""

    def __init__(self) -> None:
        self.asked: list[training_pb2.CheckEligibilityRequest] = []

    def CheckEligibility(self, request, context):  # noqa: ANN001, ANN201, N802
        self.asked.append(request)
        return training_pb2.CheckEligibilityResponse(eligible=False, findings=[
            training_pb2.CertificationFinding(
                certification_code="ACLS", problem=training_pb2.CERTIFICATION_PROBLEM_EXPIRED,
                expires_on=common_pb2.Date(year=2026, month=6, day=30),
                explanation="ACLS expired 2026-06-30"),
        ])


def serve(servicer: training_pb2_grpc.TrainingServiceServicer) -> tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    training_pb2_grpc.add_TrainingServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def staffing_against(store: StaffingStore, training_port: int) -> Iterator:
    server, port = create_server(store=store, clock=fixed_clock(NOW),
                                 training_target=f"127.0.0.1:{training_port}")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield staffing_pb2_grpc.StaffingServiceStub(channel)
    server.stop(None)


@pytest.fixture
def fake_training() -> Iterator[tuple[FakeTraining, int]]:
    fake = FakeTraining()
    server, port = serve(fake)
    yield fake, port
    server.stop(None)


def open_a_night_shift(staffing) -> str:  # noqa: ANN001
    request = staffing_pb2.ReportGapRequest(
        unit_id="ICU", role=staffing_pb2.STAFF_ROLE_RN, slots=1, shift=common_pb2.SHIFT_NIGHT,
        reason="call-out", day=common_pb2.DaySpec(date=common_pb2.Date(
            year=SHIFT_DATE.year, month=SHIFT_DATE.month, day=SHIFT_DATE.day)))
    answer = staffing.ReportGap(request, timeout=TIMEOUT,
                                metadata=rpc.caller_metadata(CHARGE_NURSE))
    return answer.open_shift.open_shift_id


def claim(staffing, open_shift_id: str):  # noqa: ANN001, ANN201
    return staffing.ClaimOpenShift(staffing_pb2.ClaimOpenShiftRequest(open_shift_id=open_shift_id),
                                   timeout=TIMEOUT, metadata=rpc.caller_metadata(FLOAT_NURSE))


def test_training_findings_come_back_through_staffing_as_the_refusal(store,
                                                                      fake_training) -> None:
    fake, port = fake_training
    for staffing in staffing_against(store, port):
        answer = claim(staffing, open_a_night_shift(staffing))
    assert answer.outcome == staffing_pb2.CLAIM_OUTCOME_REFUSED
    assert [f.explanation for f in answer.findings if not f.passed] == ["ACLS expired 2026-06-30"]
    [asked] = fake.asked
    assert (asked.staff_id, asked.unit_id, asked.role) == ("S6", "ICU", "RN")
    assert asked.window.shift == common_pb2.SHIFT_NIGHT
    assert asked.window.ends_at.ToDatetime(UTC) == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def test_an_unimplemented_training_service_means_no_award(store) -> None:
    server, port = serve(training_pb2_grpc.TrainingServiceServicer())
    try:
        for staffing in staffing_against(store, port):
            answer = claim(staffing, open_a_night_shift(staffing))
    finally:
        server.stop(None)
    assert answer.outcome == staffing_pb2.CLAIM_OUTCOME_REFUSED
    assert [f.explanation for f in answer.findings if not f.passed] == [
        "certifications could not be checked — try again"]
    assert answer.open_shift.slots_filled == 0


def test_a_staff_nurse_reporting_a_gap_is_permission_denied_with_the_reason(store,
                                                                            fake_training) -> None:
    _, port = fake_training
    for staffing in staffing_against(store, port):
        with pytest.raises(grpc.RpcError) as error:
            staffing.ReportGap(staffing_pb2.ReportGapRequest(
                unit_id="ICU", role=staffing_pb2.STAFF_ROLE_RN), timeout=TIMEOUT,
                metadata=rpc.caller_metadata(FLOAT_NURSE))
    assert error.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert error.value.details() == "Only the charge nurse or manager of ICU can report its gaps."
