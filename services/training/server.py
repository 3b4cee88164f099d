"""The training gRPC servicer: translates proto ↔ use-case arguments, maps domain errors."""

from __future__ import annotations

import functools
import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc
from google.protobuf import timestamp_pb2

from clinops import event_delivery, outbox, rpc
from clinops.clock import Clock, system_clock
from clinops.common.v1 import common_pb2
from clinops.idempotency import Retention, SqlResponseMemo
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.training import free_text, reminders, usecases
from services.training import outbox as training_outbox
from services.training.authz import authorisation
from services.training.config import TrainingSettings
from services.training.errors import (
    AlreadyDecided,
    InvalidInput,
    NotIdentified,
    NotPermitted,
    TrainingError,
    UnknownCertificationType,
    UnknownRenewal,
    UnknownStaff,
    UnknownUnit,
)
from services.training.model import Finding, Renewal, StaffMember
from services.training.store import TrainingStore, migrate

SERVICE_NAME = training_pb2.DESCRIPTOR.services_by_name["TrainingService"].full_name
# A repeated idempotency key on these gets the first answer back (clinops.rpc).
MUTATING_METHODS = tuple(f"/{SERVICE_NAME}/{name}" for name in (
    "SubmitRenewal", "DecideRenewal", "ImportRecords"))
log = logging.getLogger(__name__)

# The one table from domain errors to status codes.
STATUS_OF: dict[type[TrainingError], grpc.StatusCode] = {
    UnknownStaff: grpc.StatusCode.NOT_FOUND,
    UnknownUnit: grpc.StatusCode.NOT_FOUND,
    UnknownCertificationType: grpc.StatusCode.NOT_FOUND,
    UnknownRenewal: grpc.StatusCode.NOT_FOUND,
    NotIdentified: grpc.StatusCode.UNAUTHENTICATED,
    NotPermitted: grpc.StatusCode.PERMISSION_DENIED,
    AlreadyDecided: grpc.StatusCode.FAILED_PRECONDITION,
}


# Refusals as statuses: INVALID_ARGUMENT with field details, the rest by STATUS_OF.
_domain_errors = functools.partial(rpc.domain_errors, status_of=STATUS_OF,
                                   base_error=TrainingError, invalid_input=InvalidInput)


def _date(d: common_pb2.Date, field: str, *, required: bool = False) -> date | None:
    """A proto Date, or None when all zero; out-of-range parts name their field."""
    if (d.year, d.month, d.day) == (0, 0, 0):
        if required:
            raise InvalidInput({field: "required"})
        return None
    try:
        return date(d.year, d.month, d.day)
    except ValueError:
        raise InvalidInput({field: f"{d.year}-{d.month:02}-{d.day:02} is not a date"}) from None


def _date_message(value: date | None) -> common_pb2.Date | None:
    if value is None:
        return None
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def _timestamp(instant: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def _actor(staff_id: str | None) -> common_pb2.Actor | None:
    return common_pb2.Actor(staff_id=staff_id) if staff_id else None


def record_message(view: usecases.RecordView) -> training_pb2.CertificationRecord:
    r = view.record
    return training_pb2.CertificationRecord(
        record_id=r.record_id, staff_id=r.staff_id, certification_code=r.certification_code,
        issued_on=_date_message(r.issued_on), expires_on=_date_message(r.expires_on),
        expiry_derived=r.expiry_derived, evidence_reference=r.evidence_reference,
        verified_by=_actor(r.verified_by),
        verified_at=_timestamp(r.verified_at) if r.verified_at else None,
        status=training_pb2.RecordStatus.Value(f"RECORD_STATUS_{view.status}"),
        days_left=view.days_left,
    )


def finding_message(finding: Finding) -> training_pb2.CertificationFinding:
    return training_pb2.CertificationFinding(
        certification_code=finding.certification_code,
        problem=training_pb2.CertificationProblem.Value(
            f"CERTIFICATION_PROBLEM_{finding.problem}"),
        expires_on=_date_message(finding.expires_on), explanation=finding.explanation,
    )


def staff_actor(member: StaffMember) -> common_pb2.Actor:
    return common_pb2.Actor(slack_team_id=member.slack_team_id,
                            slack_user_id=member.slack_user_id, staff_id=member.staff_id,
                            display_name=member.display_name)


def renewal_message(renewal: Renewal) -> training_pb2.Renewal:
    return training_pb2.Renewal(
        renewal_id=renewal.renewal_id, staff_id=renewal.staff_id,
        certification_code=renewal.certification_code,
        expires_on=_date_message(renewal.expires_on),
        state=training_pb2.RenewalState.Value(f"RENEWAL_STATE_{renewal.state}"),
        rejection_reason=renewal.rejection_reason, decided_by=_actor(renewal.decided_by),
        submitted_at=_timestamp(renewal.submitted_at),
    )


def renewal_view_message(view: usecases.RenewalView) -> training_pb2.Renewal:
    """The renewal with its submitter, and its decider named, so the bot can tell them."""
    message = renewal_message(view.renewal)
    message.submitted_by.CopyFrom(staff_actor(view.submitter))
    if view.decider is not None:
        message.decided_by.CopyFrom(staff_actor(view.decider))
    return message


def _expiring_message(item: usecases.Expiring) -> training_pb2.ExpiringCertification:
    staff: StaffMember = item.staff
    return training_pb2.ExpiringCertification(
        record=record_message(item.view), display_name=staff.display_name,
        slack_team_id=staff.slack_team_id, slack_user_id=staff.slack_user_id,
        unit_id=staff.home_unit_id or "", threshold_days=item.due.threshold_days,
    )


def _shift_dates(window: common_pb2.ShiftWindow, zone: ZoneInfo) -> tuple[date, date]:
    """First and last calendar day of a shift at the facility: from the instants, else the date.

    A night shift ending 07:00 the next morning needs its certifications through that next day.
    """
    if window.HasField("starts_at") and window.HasField("ends_at"):
        try:
            starts = window.starts_at.ToDatetime(UTC).astimezone(zone)
            ends = window.ends_at.ToDatetime(UTC).astimezone(zone)
        except (ValueError, OverflowError):
            raise InvalidInput({"window.starts_at": "not a valid timestamp"}) from None
        return starts.date(), ends.date()
    day = _date(window.date, "window.date", required=True)
    assert day is not None
    usecases.check_scan_days(**{"window.date": day})  # the night's next day must exist
    if window.shift not in common_pb2.Shift.values():
        raise InvalidInput({"window.shift": f"unknown value {window.shift}"})
    if window.shift == common_pb2.SHIFT_NIGHT:
        return day, day + timedelta(days=1)
    return day, day


class TrainingServicer(training_pb2_grpc.TrainingServiceServicer):
    """Translates each RPC to its use case."""

    def __init__(self, *, store: TrainingStore, clock: Clock, time_zone: str) -> None:
        self.store, self.clock, self.time_zone = store, clock, time_zone
        self.zone = ZoneInfo(time_zone)

    def ListCertificationTypes(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            types = usecases.list_certification_types(store=self.store)
            return training_pb2.ListCertificationTypesResponse(types=[
                training_pb2.CertificationType(code=t.code, name=t.name,
                                               validity_months=t.validity_months,
                                               reminder_days=list(t.reminder_days))
                for t in types
            ])

    def ListRequirements(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            requirements = usecases.list_requirements(unit_id=request.unit_id, store=self.store)
            return training_pb2.ListRequirementsResponse(requirements=[
                training_pb2.Requirement(role=r.role, unit_category=r.unit_category,
                                         unit_id=r.unit_id,
                                         certification_codes=list(r.certification_codes))
                for r in requirements
            ])

    def ListRecords(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            person, views = usecases.list_records(
                staff_id=request.staff_id, person_slack_user_id=request.slack_user_id,
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock, time_zone=self.time_zone,
            )
            return training_pb2.ListRecordsResponse(
                records=[record_message(v) for v in views], staff_id=person.staff_id,
                display_name=person.display_name)

    def ImportRecords(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            if request.format not in training_pb2.ImportFormat.values():
                raise InvalidInput({"format": f"unknown value {request.format}"})
            name = training_pb2.ImportFormat.Name(request.format).removeprefix("IMPORT_FORMAT_")
            result = usecases.import_records(
                import_format=name, content=request.content,
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock, time_zone=self.time_zone,
            )
            return training_pb2.ImportRecordsResponse(
                records_written=result.records_written,
                rejected=[training_pb2.RejectedEntry(position=r.position, reason=r.reason)
                          for r in result.rejected],
            )

    def CheckEligibility(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            if not request.HasField("window"):
                raise InvalidInput({"window": "required"})
            # The shift's dates at the unit's facility (a valid-through date is a local date).
            zone = ZoneInfo(usecases.unit_zone(self.store, request.unit_id.strip().upper(),
                                               self.time_zone))
            starts_on, ends_on = _shift_dates(request.window, zone)
            answer = usecases.check_eligibility(
                staff_id=request.staff_id, unit_id=request.unit_id, role=request.role,
                shift_starts_on=starts_on, shift_ends_on=ends_on, store=self.store,
            )
            return training_pb2.CheckEligibilityResponse(
                eligible=answer.eligible, findings=[finding_message(f) for f in answer.findings])

    def ListExpiring(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            on = _date(request.on, "on") or usecases.today(self.clock, self.time_zone)
            expiring = usecases.list_expiring(
                on=on, since=_date(request.since, "since"), unit_id=request.unit_id,
                store=self.store,
            )
            return training_pb2.ListExpiringResponse(
                expiring=[_expiring_message(e) for e in expiring])

    def RecordEventDelivery(self, request, context):  # noqa: ANN001, ANN201, N802
        delivery = event_delivery.record_event_delivery(
            request, context, engine=self.store.engine, table=training_outbox.OUTBOX,
            clock=self.clock)
        return training_pb2.RecordEventDeliveryResponse(delivery=delivery)

    def GetEventDelivery(self, request, context):  # noqa: ANN001, ANN201, N802
        return training_pb2.GetEventDeliveryResponse(delivery=event_delivery.get_event_delivery(
            request, context, engine=self.store.engine, table=training_outbox.OUTBOX))

    def RecordReminderSent(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            expires_on = _date(request.expires_on, "expires_on", required=True)
            assert expires_on is not None
            if request.phase not in training_pb2.ReminderPhase.values():
                raise InvalidInput({"phase": f"unknown value {request.phase}"})
            phase = (reminders.Phase.ONE_STEP if not request.phase else reminders.Phase(
                training_pb2.ReminderPhase.Name(request.phase).removeprefix("REMINDER_PHASE_")))
            answer = reminders.record_reminder(
                phase=phase, claim_id=request.claim_id, staff_id=request.staff_id,
                certification_code=request.certification_code, expires_on=expires_on,
                threshold_days=request.threshold_days, store=self.store, clock=self.clock,
            )
            response = training_pb2.RecordReminderSentResponse(
                recorded=answer.recorded, claim_id=answer.claim_id,
                took_over_stale_claim=answer.stale_claimed_at is not None)
            if answer.stale_claimed_at is not None:
                response.stale_claimed_at.FromDatetime(answer.stale_claimed_at)
            return response

    def QueueReminders(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            on = _date(request.on, "on") or usecases.today(self.clock, self.time_zone)
            answer = reminders.queue_reminders(
                on=on, since=_date(request.since, "since"), unit_ids=list(request.unit_ids),
                all_units=request.all_units, store=self.store, clock=self.clock)
            return training_pb2.QueueRemindersResponse(
                queued=answer.queued, requeued=answer.requeued,
                already_queued=answer.already_queued)

    def ListCertificationDigest(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            on = _date(request.on, "on") or usecases.today(self.clock, self.time_zone)
            digests = reminders.list_certification_digest(
                on=on, upcoming_within_days=request.upcoming_within_days,
                unit_id=request.unit_id, store=self.store,
            )
            return training_pb2.ListCertificationDigestResponse(units=[
                training_pb2.UnitCertificationDigest(
                    unit_id=d.unit.unit_id, unit_name=d.unit.name,
                    managers=[common_pb2.Actor(
                        slack_team_id=m.slack_team_id, slack_user_id=m.slack_user_id,
                        staff_id=m.staff_id, display_name=m.display_name) for m in d.managers],
                    expired=[_expiring_message(e) for e in d.expired],
                    upcoming=[_expiring_message(e) for e in d.upcoming],
                ) for d in digests
            ])

    def GetUnitCompliance(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            compliance, _ = usecases.get_unit_compliance(
                unit_id=request.unit_id, on=_date(request.on, "on"),
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock, time_zone=self.time_zone,
            )
            return training_pb2.GetUnitComplianceResponse(
                unit_id=compliance.unit_id, staff_count=compliance.staff_count,
                fully_compliant=compliance.fully_compliant,
                by_type=[training_pb2.TypeCompliance(certification_code=t.certification_code,
                                                     required_of=t.required_of,
                                                     current=t.current)
                         for t in compliance.by_type],
                gaps=[training_pb2.ComplianceGap(
                    staff_id=g.staff_id, display_name=g.display_name,
                    findings=[finding_message(f) for f in g.findings])
                    for g in compliance.gaps],
            )

    def SubmitRenewal(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            renewal = usecases.submit_renewal(
                certification_code=request.certification_code,
                expires_on=_date(request.expires_on, "expires_on"),
                issued_on=_date(request.issued_on, "issued_on"),
                evidence_reference=request.evidence_reference,
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock, time_zone=self.time_zone,
            )
            return training_pb2.SubmitRenewalResponse(
                renewal=renewal_view_message(renewal),
                reviewers=[staff_actor(m) for m in renewal.reviewers])

    def DecideRenewal(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            renewal = usecases.decide_renewal(
                renewal_id=request.renewal_id, verify=request.verify, reason=request.reason,
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock,
            )
            return training_pb2.DecideRenewalResponse(renewal=renewal_view_message(renewal))

    def ListPendingRenewals(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            views = usecases.list_pending_renewals(
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store)
            return training_pb2.ListPendingRenewalsResponse(
                renewals=[renewal_view_message(view) for view in views])

    def ExportUnitCompliance(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            export = usecases.export_unit_compliance(
                unit_id=request.unit_id, on=_date(request.on, "on"),
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock, time_zone=self.time_zone,
            )
            return training_pb2.ExportUnitComplianceResponse(
                unit_id=export.unit.unit_id, unit_name=export.unit.name,
                on=_date_message(export.on),
                rows=[training_pb2.ComplianceExportRow(
                    staff_id=row.staff.staff_id, display_name=row.staff.display_name,
                    role=row.staff.role, certification_code=row.certification_code,
                    record=record_message(view) if view else None)
                    for row, view in export.rows],
            )


def _check_zone(time_zone: str) -> str:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {time_zone!r}") from None
    return time_zone


def create_server(
    *, store: TrainingStore, clock: Clock, address: str = "127.0.0.1:0",
    time_zone: str = usecases.DEFAULT_TIME_ZONE, security: rpc.ServerSecurity | None = None,
) -> tuple[grpc.Server, int]:
    """A training server with health and reflection, bound but not started; port 0 → OS picks."""
    server, port, _ = _create(store=store, clock=clock, address=address, time_zone=time_zone,
                              security=security)
    return server, port


def _create(*, store: TrainingStore, clock: Clock, address: str, time_zone: str,  # noqa: ANN202
            security: rpc.ServerSecurity | None = None):
    servicer = TrainingServicer(store=store, clock=clock, time_zone=_check_zone(time_zone))
    add = functools.partial(training_pb2_grpc.add_TrainingServiceServicer_to_server, servicer)
    once = rpc.IdempotencyInterceptor(SqlResponseMemo(store.engine), MUTATING_METHODS)
    return rpc.create_server(register=[add], service_names=[SERVICE_NAME], address=address,
                              security=security,
                              interceptors=[authorisation(store, clock), free_text.guard(), once])


def serve(settings: TrainingSettings, *, grace_seconds: float = 5.0) -> None:
    """Migrate, bind, serve until SIGTERM/SIGINT, then report NOT_SERVING and stop with grace."""
    migrate(settings.database_url)
    store = TrainingStore.open(settings.database_url)
    server, port, health = _create(store=store, clock=system_clock, address=settings.address,
                                   time_zone=settings.time_zone,
                                   security=settings.server_security())
    # The outbox relay publishes renewal decisions to Redis (CLINOPS_REDIS_URL) from here.
    relay = outbox.relay_from_environment(store.engine, training_outbox.OUTBOX, clock=system_clock)
    retention = Retention(SqlResponseMemo(store.engine), clock=system_clock).start()
    try:
        rpc.serve_until_signalled(server, health, name="training", port=port,
                                  grace_seconds=grace_seconds)
    finally:
        retention.stop()
        if relay is not None:
            relay.stop()
        store.close()
