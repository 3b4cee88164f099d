"""A mutating call repeated with the same idempotency key is answered once, over real gRPC."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
import pytest

from clinops import rpc
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.staffing import server as staffing_server
from services.staffing.eligibility import CertificationAnswer
from services.staffing.store import StaffingStore
from services.staffing.store import migrate as migrate_staffing
from services.training import server as training_server
from services.training.store import TrainingStore
from services.training.store import migrate as migrate_training
from tests.staffing import staffing_fixtures
from tests.training import training_fixtures

STAFFING_NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 10:00 in California


class Eligible:
    def check(self, **_: object) -> CertificationAnswer:
        return CertificationAnswer(True)


def metadata(team: str, user: str, key: str = "") -> tuple[tuple[str, str], ...]:
    caller = rpc.caller_metadata(rpc.Caller(slack_team_id=team, slack_user_id=user))
    return (*caller, *rpc.idempotency_metadata(key))


@pytest.fixture
def staffing(database_url: str) -> Iterator[tuple[staffing_pb2_grpc.StaffingServiceStub,
                                                  StaffingStore]]:
    migrate_staffing(database_url)
    store = StaffingStore.open(database_url)
    staffing_fixtures.populate(store)
    server, port = staffing_server.create_server(
        store=store, clock=fixed_clock(STAFFING_NOW), certifications=Eligible())
    server.start()
    channel = rpc.client_channel(f"127.0.0.1:{port}", None)
    yield staffing_pb2_grpc.StaffingServiceStub(channel), store
    channel.close()
    server.stop(None)
    store.close()


@pytest.fixture
def training(database_url: str) -> Iterator[tuple[training_pb2_grpc.TrainingServiceStub,
                                                  TrainingStore]]:
    migrate_training(database_url)
    store = TrainingStore.open(database_url)
    training_fixtures.populate(store)
    server, port = training_server.create_server(store=store,
                                                 clock=fixed_clock(training_fixtures.NOW))
    server.start()
    channel = rpc.client_channel(f"127.0.0.1:{port}", None)
    yield training_pb2_grpc.TrainingServiceStub(channel), store
    channel.close()
    server.stop(None)
    store.close()


def gap_report() -> staffing_pb2.ReportGapRequest:
    day = staffing_fixtures.SHIFT_DATE
    return staffing_pb2.ReportGapRequest(
        unit_id="ICU", role=staffing_pb2.STAFF_ROLE_RN, slots=1, shift=common_pb2.SHIFT_NIGHT,
        day=common_pb2.DaySpec(date=common_pb2.Date(year=day.year, month=day.month,
                                                    day=day.day)),
        reason="call-out")


def test_a_gap_reported_twice_with_one_key_opens_one_shift_and_answers_the_same(
    staffing,  # noqa: ANN001
) -> None:
    stub, store = staffing
    charge = metadata(staffing_fixtures.TEAM, "US1", "slack:trigger-1")
    first = stub.ReportGap(gap_report(), timeout=5, metadata=charge)
    again = stub.ReportGap(gap_report(), timeout=5, metadata=charge)
    assert again == first
    assert len(store.list_open_shifts("ICU")) == 1
    other = stub.ReportGap(gap_report(), timeout=5,
                           metadata=metadata(staffing_fixtures.TEAM, "US1", "slack:trigger-2"))
    assert other.open_shift.open_shift_id != first.open_shift.open_shift_id
    assert len(store.list_open_shifts("ICU")) == 2


def test_a_claim_retried_with_its_key_gets_the_first_answer_back(staffing) -> None:  # noqa: ANN001
    stub, store = staffing
    charge = metadata(staffing_fixtures.TEAM, "US1", "slack:report")
    opened = stub.ReportGap(gap_report(), timeout=5, metadata=charge).open_shift
    claimant = metadata(staffing_fixtures.TEAM, "US6", "slack:claim-click")
    request = staffing_pb2.ClaimOpenShiftRequest(open_shift_id=opened.open_shift_id,
                                                 accept_overtime=True)
    first = stub.ClaimOpenShift(request, timeout=5, metadata=claimant)
    again = stub.ClaimOpenShift(request, timeout=5, metadata=claimant)
    assert again == first
    # The same key from someone else is someone else's request: it is not answered from memo.
    stranger = metadata(staffing_fixtures.TEAM, "US2", "slack:claim-click")
    assert stub.ClaimOpenShift(request, timeout=5, metadata=stranger) != first


def test_a_refusal_is_not_remembered_so_a_corrected_retry_is_decided_afresh(
    staffing,  # noqa: ANN001
) -> None:
    stub, _ = staffing
    nurse = metadata(staffing_fixtures.TEAM, "US2", "slack:census")
    request = staffing_pb2.RecordCensusRequest(
        unit_id="ICU", shift=common_pb2.SHIFT_DAY,
        day=common_pb2.DaySpec(relative=common_pb2.RELATIVE_DAY_TODAY),
        census=staffing_pb2.Census(patients=9))
    with pytest.raises(grpc.RpcError) as refused:
        stub.RecordCensus(request, timeout=5, metadata=nurse)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    charge = metadata(staffing_fixtures.TEAM, "US1", "slack:census")
    recorded = stub.RecordCensus(request, timeout=5, metadata=charge)
    assert stub.RecordCensus(request, timeout=5, metadata=charge) == recorded


def test_a_renewal_submitted_twice_with_one_key_is_one_renewal(training) -> None:  # noqa: ANN001
    stub, store = training
    nurse = metadata(training_fixtures.TEAM, "UN2", "slack:view:V1")
    request = training_pb2.SubmitRenewalRequest(
        certification_code="ACLS", expires_on=common_pb2.Date(year=2028, month=6, day=30))
    first = stub.SubmitRenewal(request, timeout=5, metadata=nurse).renewal
    again = stub.SubmitRenewal(request, timeout=5, metadata=nurse).renewal
    assert again == first
    educator = metadata(training_fixtures.TEAM, "UE1", "slack:action:verify-1")
    decide = training_pb2.DecideRenewalRequest(renewal_id=first.renewal_id, verify=True)
    decided = stub.DecideRenewal(decide, timeout=5, metadata=educator).renewal
    assert stub.DecideRenewal(decide, timeout=5, metadata=educator).renewal == decided


def test_the_channel_retries_only_reads_and_only_when_the_service_is_unavailable() -> None:
    config = json.loads(rpc.retry_service_config())
    (method_config,) = config["methodConfig"]
    assert method_config["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    retried = {(name["service"], name["method"]) for name in method_config["name"]}
    mutating = {tuple(path.strip("/").split("/")) for path in (
        *staffing_server.MUTATING_METHODS, *training_server.MUTATING_METHODS)}
    assert retried and not retried & mutating
    assert ("clinops.staffing.v1.StaffingService", "ClaimOpenShift") not in retried
    assert ("clinops.supplies.v1.SuppliesService", "DecideProposal") not in retried
