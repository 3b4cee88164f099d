"""A read that meets UNAVAILABLE once is retried by the channel and the caller gets the answer."""

from __future__ import annotations

from concurrent import futures
from datetime import UTC, date, datetime

import grpc

from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.staffing.model import Role
from services.staffing.shifts import ShiftWindow
from services.staffing.training_client import TrainingChecker


class UnavailableOnce(training_pb2_grpc.TrainingServiceServicer):
    """The first CheckEligibility finds the service not answering; later ones are answered."""

    def __init__(self) -> None:
        self.calls = 0

    def CheckEligibility(self, request, context):  # noqa: N802 - generated name
        self.calls += 1
        if self.calls == 1:
            context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")
        return training_pb2.CheckEligibilityResponse(eligible=True)


def test_staffing_asking_training_retries_a_check_that_met_unavailable_and_gets_the_answer():
    training = UnavailableOnce()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    training_pb2_grpc.add_TrainingServiceServicer_to_server(training, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    checker = TrainingChecker.connect(f"127.0.0.1:{port}", deadline_seconds=5)
    try:
        answer = checker.check(
            staff_id="S-ICU-RN-01", unit_id="ICU", role=Role.RN,
            window=ShiftWindow(date(2026, 11, 27), "DAY",
                               datetime(2026, 11, 27, 15, tzinfo=UTC),
                               datetime(2026, 11, 28, 3, tzinfo=UTC)))
    finally:
        checker.close()
        server.stop(None)
    assert answer is not None and answer.eligible
    assert training.calls == 2
