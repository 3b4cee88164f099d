"""The staffing service's question to training, over gRPC: "may this nurse work this shift?"."""

from __future__ import annotations

import logging
from datetime import date

import grpc

from clinops import authz, rpc
from clinops.common.v1 import common_pb2
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.staffing.eligibility import CertificationAnswer, CertificationProblem
from services.staffing.model import Role
from services.staffing.shifts import ShiftWindow

log = logging.getLogger(__name__)
PROBLEMS = {
    training_pb2.CERTIFICATION_PROBLEM_MISSING: "MISSING",
    training_pb2.CERTIFICATION_PROBLEM_EXPIRED: "EXPIRED",
    training_pb2.CERTIFICATION_PROBLEM_EXPIRES_BEFORE_SHIFT_END: "EXPIRES_BEFORE_SHIFT_END",
}


def _date(value: common_pb2.Date) -> date | None:
    return date(value.year, value.month, value.day) if value.year else None


def window_message(window: ShiftWindow) -> common_pb2.ShiftWindow:
    message = common_pb2.ShiftWindow(
        date=common_pb2.Date(year=window.date.year, month=window.date.month, day=window.date.day),
        shift=common_pb2.Shift.Value(f"SHIFT_{window.shift}"),
    )
    message.starts_at.FromDatetime(window.starts_at)
    message.ends_at.FromDatetime(window.ends_at)
    return message


def answer_from(response: training_pb2.CheckEligibilityResponse) -> CertificationAnswer:
    """Training's proto answer in staffing's words."""
    return CertificationAnswer(
        eligible=response.eligible,
        problems=tuple(
            CertificationProblem(f.certification_code, PROBLEMS.get(f.problem, "UNSPECIFIED"),
                                 _date(f.expires_on), f.explanation)
            for f in response.findings
        ),
    )


class TrainingChecker:
    """CertificationChecker over a gRPC channel; any failure to answer is None, never 'eligible'."""

    def __init__(self, channel: grpc.Channel, *, deadline_seconds: float = 1.0) -> None:
        self.channel = channel
        self.stub = training_pb2_grpc.TrainingServiceStub(channel)
        self.deadline_seconds = deadline_seconds
        # Staffing asks as itself (the scheduler credential), not for the person claiming.
        self.identity = authz.service_metadata()

    @classmethod
    def connect(cls, target: str, *, deadline_seconds: float = 1.0) -> TrainingChecker:
        # The shared channel options: a read retried on UNAVAILABLE, quick reconnects.
        return cls(rpc.client_channel(target, None), deadline_seconds=deadline_seconds)

    def check(self, *, staff_id: str, unit_id: str, role: Role,
              window: ShiftWindow) -> CertificationAnswer | None:
        request = training_pb2.CheckEligibilityRequest(
            staff_id=staff_id, unit_id=unit_id, role=role.value, window=window_message(window))
        try:
            response = self.stub.CheckEligibility(request, timeout=self.deadline_seconds,
                                                  metadata=self.identity)
        except grpc.RpcError as error:
            code = error.code() if hasattr(error, "code") else None
            log.warning("training did not answer CheckEligibility: %s", code)
            return None
        return answer_from(response)

    def close(self) -> None:
        self.channel.close()
