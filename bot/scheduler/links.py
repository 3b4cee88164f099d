"""Blocking gRPC clients for the scheduler's jobs: a deadline on every call, caller metadata."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime

import grpc
from google.protobuf import timestamp_pb2

from clinops.authz import service_metadata
from clinops.common.v1 import common_pb2
from clinops.rpc import Caller, caller_metadata
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from clinops.training.v1 import training_pb2, training_pb2_grpc

ExpiringCertification = training_pb2.ExpiringCertification


def _date(day: date) -> common_pb2.Date:
    return common_pb2.Date(year=day.year, month=day.month, day=day.day)


def _metadata(caller: Caller | None = None) -> tuple[tuple[str, str], ...]:
    """The acting person (if any), a correlation id for the logs of both sides, and the
    scheduler credential: the scheduler's own RPCs answer only the scheduler."""
    correlation = f"sched-{uuid.uuid4().hex[:8]}"
    caller = caller or Caller("", "")
    return (*caller_metadata(Caller(caller.slack_team_id, caller.slack_user_id, correlation)),
            *service_metadata())


class TrainingLink:
    """What the jobs ask of training: who is due a reminder, queueing them, and the digest."""

    def __init__(self, channel: grpc.Channel, *, deadline_seconds: float) -> None:
        self.stub = training_pb2_grpc.TrainingServiceStub(channel)
        self.deadline = deadline_seconds

    def list_expiring(self, *, on: date, since: date | None) -> list[ExpiringCertification]:
        request = training_pb2.ListExpiringRequest(on=_date(on))
        if since is not None:
            request.since.CopyFrom(_date(since))
        answer = self.stub.ListExpiring(request, timeout=self.deadline, metadata=_metadata())
        return list(answer.expiring)

    def queue_reminders(self, *, on: date, since: date | None,
                        unit_ids: Collection[str] | None) -> training_pb2.QueueRemindersResponse:
        """Training queues each reminder due to people of `unit_ids` (None: everyone) and people
        with no home unit, as a `reminder.due` event, once; and again one never sent."""
        request = training_pb2.QueueRemindersRequest(on=_date(on), all_units=unit_ids is None,
                                                     unit_ids=sorted(unit_ids or ()))
        if since is not None:
            request.since.CopyFrom(_date(since))
        return self.stub.QueueReminders(request, timeout=self.deadline, metadata=_metadata())

    def digest(self, *, on: date, upcoming_within_days: int
               ) -> list[training_pb2.UnitCertificationDigest]:
        request = training_pb2.ListCertificationDigestRequest(
            on=_date(on), upcoming_within_days=upcoming_within_days)
        answer = self.stub.ListCertificationDigest(request, timeout=self.deadline,
                                                   metadata=_metadata())
        return list(answer.units)


class StaffingLink:
    """What the digest asks of staffing: a person's shifts, as their manager may see them."""

    def __init__(self, channel: grpc.Channel, *, deadline_seconds: float) -> None:
        self.stub = staffing_pb2_grpc.StaffingServiceStub(channel)
        self.deadline = deadline_seconds

    def shifts_after(self, staff_id: str, after: datetime, *, acting_for: Caller
                     ) -> list[staffing_pb2.Assignment]:
        starts_after = timestamp_pb2.Timestamp()
        starts_after.FromDatetime(after)
        request = staffing_pb2.ListAssignmentsRequest(staff_id=staff_id, starts_after=starts_after)
        answer = self.stub.ListAssignments(request, timeout=self.deadline,
                                           metadata=_metadata(acting_for))
        return list(answer.assignments)
