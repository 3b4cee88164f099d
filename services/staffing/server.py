"""The staffing gRPC servicer: translates proto ↔ use-case arguments, maps domain errors."""

from __future__ import annotations

import functools
import logging
from datetime import UTC, date, datetime, timedelta

import grpc
from google.protobuf import timestamp_pb2

from clinops import event_delivery, outbox, rpc
from clinops.clock import Clock, system_clock
from clinops.common.v1 import common_pb2
from clinops.idempotency import Retention, SqlResponseMemo
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from services.staffing import candidates, escalation, free_text, roster, usecases
from services.staffing import outbox as staffing_outbox
from services.staffing.authz import authorisation
from services.staffing.config import StaffingSettings
from services.staffing.eligibility import ClaimRules
from services.staffing.errors import (
    InvalidInput,
    NoHomeUnit,
    NoRatioRule,
    NotCancellable,
    NotOfferable,
    NotQueued,
    PermissionDenied,
    StaffingError,
    UnknownCategory,
    UnknownFacility,
    UnknownOpenShift,
    UnknownStaff,
    UnknownUnit,
)
from services.staffing.model import (
    Census,
    Duty,
    Finding,
    OpenShift,
    RelativeDay,
    Role,
    Shift,
    StaffMember,
    Unit,
)
from services.staffing.shifts import ShiftWindow, facility_zone, shift_window
from services.staffing.store import StaffingStore, migrate
from services.staffing.training_client import TrainingChecker

SERVICE_NAME = staffing_pb2.DESCRIPTOR.services_by_name["StaffingService"].full_name
# Run on the server's event loop rather than in its pool, on SQLite only (clinops.serving): the
# /shift-gap read is ~0.1 ms of CPU with nothing to wait for; on PostgreSQL it waits on the
# network, which would hold up every other call.
ON_LOOP = frozenset({f"/{SERVICE_NAME}/GetShiftGaps"})
# A repeated idempotency key on these gets the first answer back (clinops.rpc).
MUTATING_METHODS = tuple(f"/{SERVICE_NAME}/{name}" for name in (
    "RecordCensus", "ReportGap", "ClaimOpenShift", "ConfirmClaim", "OfferOpenShift",
    "SetOpenShiftMessage", "CancelOpenShift", "ImportAssignments"))
log = logging.getLogger(__name__)
DEFAULT_ESCALATION_WAIT = timedelta(minutes=30)

# The one table from domain errors to status codes. A unit whose category or ratio rule is
# missing is a configuration the facility must fix, hence FAILED_PRECONDITION.
STATUS_OF: dict[type[StaffingError], grpc.StatusCode] = {
    UnknownUnit: grpc.StatusCode.NOT_FOUND,
    UnknownFacility: grpc.StatusCode.NOT_FOUND,
    UnknownStaff: grpc.StatusCode.NOT_FOUND,
    NoHomeUnit: grpc.StatusCode.FAILED_PRECONDITION,
    UnknownCategory: grpc.StatusCode.FAILED_PRECONDITION,
    NoRatioRule: grpc.StatusCode.FAILED_PRECONDITION,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    UnknownOpenShift: grpc.StatusCode.NOT_FOUND,
    NotQueued: grpc.StatusCode.FAILED_PRECONDITION,
    NotOfferable: grpc.StatusCode.FAILED_PRECONDITION,
    NotCancellable: grpc.StatusCode.FAILED_PRECONDITION,
}


# Refusals as statuses: INVALID_ARGUMENT with field details, the rest by STATUS_OF.
_domain_errors = functools.partial(rpc.domain_errors, status_of=STATUS_OF,
                                   base_error=StaffingError, invalid_input=InvalidInput)


def _enum_name(enum_type, value: int, prefix: str, field: str) -> str:  # noqa: ANN001
    if value not in enum_type.values():
        raise InvalidInput({field: f"unknown value {value}"})
    return enum_type.Name(value).removeprefix(prefix)


def _day(spec: common_pb2.DaySpec, field: str = "day") -> date | RelativeDay | None:
    which = spec.WhichOneof("day")
    if which == "relative":
        name = _enum_name(
            common_pb2.RelativeDay, spec.relative, "RELATIVE_DAY_", f"{field}.relative"
        )
        return None if name == "UNSPECIFIED" else RelativeDay(name)
    if which != "date":
        return None
    d, problems = spec.date, {}
    if not 2000 <= d.year <= 2100:
        problems[f"{field}.date.year"] = "must be 2000-2100"
    if not 1 <= d.month <= 12:
        problems[f"{field}.date.month"] = "must be 1-12"
    if not 1 <= d.day <= 31:
        problems[f"{field}.date.day"] = "must be 1-31"
    if problems:
        raise InvalidInput(problems)
    try:
        return date(d.year, d.month, d.day)
    except ValueError:
        problem = f"{d.year}-{d.month:02} has no day {d.day}"
        raise InvalidInput({f"{field}.date.day": problem}) from None


def _instant(stamp: timestamp_pb2.Timestamp, field: str) -> datetime:
    try:
        return stamp.ToDatetime(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput({field: "not a valid timestamp"}) from None


def _shift(value: int) -> Shift | None:
    name = _enum_name(common_pb2.Shift, value, "SHIFT_", "shift")
    return None if name == "UNSPECIFIED" else Shift(name)


def _timestamp(instant: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def unit_message(unit: Unit) -> staffing_pb2.Unit:
    """The proto of a unit."""
    return staffing_pb2.Unit(
        unit_id=unit.unit_id, name=unit.name, slack_channel_id=unit.slack_channel_id,
        category=staffing_pb2.UnitCategory.Value(f"UNIT_CATEGORY_{unit.category}"),
        time_zone=unit.time_zone, patients_per_nurse_override=unit.patients_per_nurse_override or 0,
        facility_id=unit.facility_id,
    )


def staff_message(member: StaffMember) -> staffing_pb2.StaffMember:
    """The proto of a directory entry."""
    return staffing_pb2.StaffMember(
        staff_id=member.staff_id, display_name=member.display_name,
        role=staffing_pb2.StaffRole.Value(f"STAFF_ROLE_{member.role}"),
        employment_type=staffing_pb2.EmploymentType.Value(
            f"EMPLOYMENT_TYPE_{member.employment_type}"),
        home_unit_id=member.home_unit_id or "", slack_team_id=member.slack_team_id,
        slack_user_id=member.slack_user_id,
        duties=[staffing_pb2.Duty.Value(f"DUTY_{d}") for d in member.duties],
        oriented_categories=[staffing_pb2.UnitCategory.Value(f"UNIT_CATEGORY_{category}")
                             for category in member.oriented_categories],
    )


def _window(window: ShiftWindow) -> common_pb2.ShiftWindow:
    return common_pb2.ShiftWindow(
        date=common_pb2.Date(year=window.date.year, month=window.date.month, day=window.date.day),
        shift=common_pb2.Shift.Value(f"SHIFT_{window.shift}"),
        starts_at=_timestamp(window.starts_at), ends_at=_timestamp(window.ends_at),
    )


def _census(census: Census) -> staffing_pb2.Census:
    message = staffing_pb2.Census(
        patients=census.patients, critical_care_patients=census.critical_care_patients,
        trauma_patients=census.trauma_patients, occupied_rooms=census.occupied_rooms,
    )
    if census.recorded_at:
        message.recorded_at.CopyFrom(_timestamp(census.recorded_at))
    if census.recorded_by:
        message.recorded_by.staff_id = census.recorded_by
    return message


def shift_gaps_message(gaps: usecases.ShiftGaps) -> staffing_pb2.GetShiftGapsResponse:
    """The proto of a shift's gaps."""
    response = staffing_pb2.GetShiftGapsResponse(
        unit=unit_message(gaps.unit), window=_window(gaps.window),
        census_recorded=gaps.census is not None, ratio_rule=gaps.ratio_rule,
        as_of=_timestamp(gaps.as_of),
        gaps=[staffing_pb2.RoleGap(role=g.role, required=g.required, counted=g.counted,
                                   gap=g.gap, rule=g.rule) for g in gaps.gaps],
        on_duty=[
            staffing_pb2.OnDuty(
                staff_id=d.assignment.staff_id, display_name=d.assignment.display_name,
                role=staffing_pb2.StaffRole.Value(f"STAFF_ROLE_{d.assignment.role}"),
                duty=staffing_pb2.Duty.Value(f"DUTY_{d.assignment.duty}"),
                carries_patients=d.assignment.carries_patients, counted=d.counted,
            )
            for d in gaps.on_duty
        ],
    )
    if gaps.census is not None:
        response.census.CopyFrom(_census(gaps.census))
    return response


def _role(value: int) -> Role | None:
    name = _enum_name(staffing_pb2.StaffRole, value, "STAFF_ROLE_", "role")
    return None if name == "UNSPECIFIED" else Role(name)


def _census_from(message: staffing_pb2.Census) -> Census:
    return Census(patients=message.patients,
                  critical_care_patients=message.critical_care_patients,
                  trauma_patients=message.trauma_patients, occupied_rooms=message.occupied_rooms)


def open_shift_message(shift: OpenShift, window: ShiftWindow) -> staffing_pb2.OpenShift:
    """The proto of an open shift."""
    return staffing_pb2.OpenShift(
        open_shift_id=shift.open_shift_id, unit_id=shift.unit_id, window=_window(window),
        role=staffing_pb2.StaffRole.Value(f"STAFF_ROLE_{shift.role}"), slots=shift.slots,
        slots_filled=shift.slots_filled, reason=shift.reason,
        state=staffing_pb2.OpenShiftState.Value(f"OPEN_SHIFT_STATE_{shift.state}"),
        ladder_step=staffing_pb2.LadderStep.Value(f"LADDER_STEP_{shift.ladder_step}"),
        slack_channel_id=shift.slack_channel_id, slack_message_ts=shift.slack_message_ts,
        awarded_staff_ids=[staff_id for staff_id, _ in shift.awarded],
        awarded_display_names=[name for _, name in shift.awarded],
        cancelled_by_display_name=shift.cancelled_by,
        cancelled_by_slack_user_id=shift.cancelled_by_slack_user_id,
        cancelled_at=_timestamp(shift.cancelled_at) if shift.cancelled_at else None,
    )


def _finding(finding: Finding) -> staffing_pb2.EligibilityFinding:
    return staffing_pb2.EligibilityFinding(rule=finding.rule, passed=finding.passed,
                                           explanation=finding.explanation)


class StaffingServicer(staffing_pb2_grpc.StaffingServiceServicer):
    """Translates each RPC to its use case; RPCs of later issues stay UNIMPLEMENTED."""

    def __init__(self, *, store: StaffingStore, clock: Clock,
                 certifications: usecases.CertificationChecker | None = None,
                 rules: ClaimRules | None = None,
                 escalation_wait: timedelta = DEFAULT_ESCALATION_WAIT) -> None:
        self.store, self.clock = store, clock
        self.escalation_wait = escalation_wait
        self.certifications = certifications or _Unchecked()
        self.rules = rules or ClaimRules()

    def _open_shift(self, shift: OpenShift) -> staffing_pb2.OpenShift:
        unit = self.store.get_unit(shift.unit_id)
        window = shift_window(shift.date, shift.shift, facility_zone(unit.time_zone))
        return open_shift_message(shift, window)

    def RecordCensus(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            gaps = usecases.record_census(
                unit_id=request.unit_id, day=_day(request.day), shift=_shift(request.shift),
                census=_census_from(request.census), slack_team_id=caller.slack_team_id,
                slack_user_id=caller.slack_user_id, store=self.store, clock=self.clock,
            )
            return staffing_pb2.RecordCensusResponse(shift_gaps=shift_gaps_message(gaps))

    def ReportGap(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            opened = usecases.report_gap(
                unit_id=request.unit_id, role=_role(request.role), slots=request.slots,
                day=_day(request.day), shift=_shift(request.shift), reason=request.reason,
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock,
            )
            return staffing_pb2.ReportGapResponse(open_shift=self._open_shift(opened))

    def RecordEventDelivery(self, request, context):  # noqa: ANN001, ANN201, N802
        delivery = event_delivery.record_event_delivery(
            request, context, engine=self.store.engine, table=staffing_outbox.OUTBOX,
            clock=self.clock)
        return staffing_pb2.RecordEventDeliveryResponse(delivery=delivery)

    def GetEventDelivery(self, request, context):  # noqa: ANN001, ANN201, N802
        return staffing_pb2.GetEventDeliveryResponse(delivery=event_delivery.get_event_delivery(
            request, context, engine=self.store.engine, table=staffing_outbox.OUTBOX))

    def SetOpenShiftMessage(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            shift = usecases.set_open_shift_message(
                open_shift_id=request.open_shift_id, slack_channel_id=request.slack_channel_id,
                slack_message_ts=request.slack_message_ts, slack_team_id=caller.slack_team_id,
                slack_user_id=caller.slack_user_id, store=self.store, clock=self.clock,
            )
            return staffing_pb2.SetOpenShiftMessageResponse(open_shift=self._open_shift(shift))

    def ListOpenShifts(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            shifts = self.store.list_open_shifts(usecases.check_unit_id(request.unit_id))
            return staffing_pb2.ListOpenShiftsResponse(
                open_shifts=[self._open_shift(s) for s in shifts])

    def ClaimOpenShift(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            result = usecases.claim_open_shift(
                open_shift_id=request.open_shift_id, slack_team_id=caller.slack_team_id,
                slack_user_id=caller.slack_user_id, store=self.store, clock=self.clock,
                certifications=self.certifications, rules=self.rules,
                accept_overtime=request.accept_overtime,
            )
            response = staffing_pb2.ClaimOpenShiftResponse(
                outcome=staffing_pb2.ClaimOutcome.Value(f"CLAIM_OUTCOME_{result.outcome}"),
                findings=[_finding(f) for f in result.findings],
                overtime_hours=result.overtime_hours,
                open_shift=self._open_shift(result.open_shift),
                hours_this_week=result.hours_this_week,
            )
            if result.claimant is not None:
                response.claimant.CopyFrom(staff_message(result.claimant))
            return response

    def CancelOpenShift(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            result = usecases.cancel_open_shift(
                open_shift_id=request.open_shift_id, slack_team_id=caller.slack_team_id,
                slack_user_id=caller.slack_user_id, store=self.store, clock=self.clock)
            return staffing_pb2.CancelOpenShiftResponse(
                open_shift=self._open_shift(result.open_shift), cancelled=result.cancelled)

    def ConfirmClaim(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            result = usecases.confirm_claim(
                open_shift_id=request.open_shift_id, staff_id=request.staff_id,
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock, certifications=self.certifications,
                rules=self.rules,
            )
            response = staffing_pb2.ConfirmClaimResponse(
                outcome=staffing_pb2.ClaimOutcome.Value(f"CLAIM_OUTCOME_{result.outcome}"),
                open_shift=self._open_shift(result.open_shift),
                findings=[_finding(f) for f in result.findings],
                overtime_hours=result.overtime_hours,
            )
            if result.claimant is not None:
                response.claimant.CopyFrom(staff_message(result.claimant))
            return response

    def ListPendingClaims(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            pending = usecases.list_pending_claims(
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store)
            return staffing_pb2.ListPendingClaimsResponse(claims=[
                staffing_pb2.PendingClaim(
                    open_shift=open_shift_message(p.open_shift, p.window),
                    claimant=staff_message(p.claimant), claimed_at=_timestamp(p.claim.claimed_at),
                    overtime_hours=p.claim.overtime_hours)
                for p in pending])

    def ListCandidates(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            found = candidates.list_candidates(
                open_shift_id=request.open_shift_id, unit_id=request.unit_id,
                day=_day(request.day), shift=_shift(request.shift),
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock, certifications=self.certifications,
                rules=self.rules,
            )
            return staffing_pb2.ListCandidatesResponse(
                unit=unit_message(found.unit), window=_window(found.window),
                open_shifts=[open_shift_message(s, found.window) for s in found.open_shifts],
                candidates=[
                    staffing_pb2.Candidate(
                        staff_member=staff_message(c.member), cost_tier=c.cost_tier,
                        hours_this_week=c.hours_this_week,
                        rest_hours_before=c.rest_hours_before or 0.0,
                        findings=[_finding(f) for f in c.findings],
                        open_shift_id=c.open_shift_id, overtime_hours=c.overtime_hours,
                    )
                    for c in found.candidates
                ],
            )

    def OfferOpenShift(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            shift, member = candidates.offer_open_shift(
                open_shift_id=request.open_shift_id, staff_id=request.staff_id,
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock,
            )
            return staffing_pb2.OfferOpenShiftResponse(open_shift=self._open_shift(shift),
                                                       staff_member=staff_message(member))

    def AdvanceEscalations(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            moved = escalation.advance_escalations(
                wait=self.escalation_wait, store=self.store, clock=self.clock,
                certifications=self.certifications, rules=self.rules)
            return staffing_pb2.AdvanceEscalationsResponse(escalations=[
                staffing_pb2.Escalation(
                    open_shift=self._open_shift(e.open_shift),
                    from_step=staffing_pb2.LadderStep.Value(f"LADDER_STEP_{e.from_step}"),
                    waited_minutes=int(e.waited.total_seconds() // 60),
                    notify=[staff_message(m) for m in e.notify],
                ) for e in moved
            ])

    def ClaimPreShiftAlerts(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            alerts = escalation.claim_preshift_alerts(
                hours_before=request.hours_before, store=self.store, clock=self.clock)
            return staffing_pb2.ClaimPreShiftAlertsResponse(alerts=[
                staffing_pb2.PreShiftAlert(
                    unit=unit_message(a.unit), window=_window(a.window),
                    gaps=[staffing_pb2.RoleGap(role=g.role, required=g.required,
                                               counted=g.counted, gap=g.gap, rule=g.rule)
                          for g in a.gaps],
                    open_shifts=[open_shift_message(s, a.window) for s in a.open_shifts],
                    gap_state=a.gap_state,
                ) for a in alerts
            ])

    def ReleasePreShiftAlert(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            day = (_day(common_pb2.DaySpec(date=request.date), "date")
                   if request.HasField("date") else None)
            released = escalation.release_preshift_alert(
                unit_id=request.unit_id, day=day if isinstance(day, date) else None,
                shift=_shift(request.shift), gap_state=request.gap_state, store=self.store,
                clock=self.clock)
            return staffing_pb2.ReleasePreShiftAlertResponse(released=released)

    def ListUnits(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            units = usecases.list_units(store=self.store, facility_id=request.facility_id)
            return staffing_pb2.ListUnitsResponse(units=[unit_message(u) for u in units])

    def ListFacilities(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            return staffing_pb2.ListFacilitiesResponse(facilities=[
                staffing_pb2.Facility(facility_id=f.facility_id, name=f.name,
                                      time_zone=f.time_zone)
                for f in usecases.list_facilities(store=self.store)])

    def GetUnit(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            unit = usecases.get_unit(unit_id=request.unit_id, store=self.store)
            return staffing_pb2.GetUnitResponse(unit=unit_message(unit))

    def GetShiftGaps(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            gaps = usecases.get_shift_gaps(
                unit_id=request.unit_id, day=_day(request.day), shift=_shift(request.shift),
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock,
            )
            return shift_gaps_message(gaps)

    def GetStaffMember(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            member = usecases.get_staff_member(
                staff_id=request.staff_id, slack_team_id=request.slack_team_id,
                slack_user_id=request.slack_user_id, store=self.store,
            )
            return staffing_pb2.GetStaffMemberResponse(staff_member=staff_message(member))

    def ListAssignments(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            scheduled = usecases.list_assignments(
                staff_id=request.staff_id,
                starts_after=(_instant(request.starts_after, "starts_after")
                              if request.HasField("starts_after") else None),
                starts_before=(_instant(request.starts_before, "starts_before")
                               if request.HasField("starts_before") else None),
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                store=self.store, clock=self.clock,
            )
            return staffing_pb2.ListAssignmentsResponse(assignments=[
                staffing_pb2.Assignment(
                    staff_id=s.assignment.staff_id, unit_id=s.assignment.unit_id,
                    window=_window(s.window),
                    role=staffing_pb2.StaffRole.Value(f"STAFF_ROLE_{s.assignment.role}"),
                    duty=staffing_pb2.Duty.Value(f"DUTY_{s.assignment.duty}"),
                    carries_patients=s.assignment.carries_patients,
                ) for s in scheduled
            ])


    def ImportAssignments(self, request, context):  # noqa: ANN001, ANN201, N802
        caller = rpc.caller_from(context)
        with _domain_errors(context):
            rows = [_roster_row(row, f"rows[{n}]") for n, row in enumerate(request.rows)]
            result = roster.import_assignments(
                rows=rows, slack_team_id=caller.slack_team_id,
                slack_user_id=caller.slack_user_id, store=self.store, clock=self.clock)
            return staffing_pb2.ImportAssignmentsResponse(
                rows_written=result.written, rejected=[
                    staffing_pb2.RejectedAssignment(row_number=number, reason=reason)
                    for number, reason in result.rejected])


def _roster_row(row: staffing_pb2.AssignmentRow, field: str) -> roster.RosterRow:
    on = None
    if row.HasField("date") and (row.date.year or row.date.month or row.date.day):
        found = _day(common_pb2.DaySpec(date=row.date), field)
        on = found if isinstance(found, date) else None
    shift = _enum_name(common_pb2.Shift, row.shift, "SHIFT_", f"{field}.shift")
    duty = _enum_name(staffing_pb2.Duty, row.duty, "DUTY_", f"{field}.duty")
    return roster.RosterRow(
        staff_id=row.staff_id, unit_id=row.unit_id, date=on,
        shift=None if shift == "UNSPECIFIED" else Shift(shift),
        duty=None if duty == "UNSPECIFIED" else Duty(duty),
        carries_patients=row.carries_patients if row.has_carries_patients else None)


class _Unchecked:
    """No training service configured: certifications cannot be checked, so nobody is awarded."""

    def check(self, **_: object) -> None:
        return None


def create_server(
    *, store: StaffingStore, clock: Clock, address: str = "127.0.0.1:0",
    training_target: str = "", certifications: usecases.CertificationChecker | None = None,
    rules: ClaimRules | None = None, security: rpc.ServerSecurity | None = None,
    escalation_wait: timedelta = DEFAULT_ESCALATION_WAIT,
) -> tuple[grpc.Server, int]:
    """A staffing server with health and reflection, bound but not started; port 0 → OS picks.

    Certifications are asked of `certifications`, else of the training service at
    `training_target`; with neither, every claim is refused as unchecked.
    """
    if certifications is None and training_target:
        certifications = TrainingChecker.connect(training_target)
    server, port, _ = _create(store=store, clock=clock, address=address,
                              certifications=certifications, rules=rules, security=security,
                              escalation_wait=escalation_wait)
    return server, port


def _create(*, store: StaffingStore, clock: Clock, address: str,  # noqa: ANN202
            certifications: usecases.CertificationChecker | None = None,
            rules: ClaimRules | None = None, security: rpc.ServerSecurity | None = None,
            escalation_wait: timedelta = DEFAULT_ESCALATION_WAIT):
    servicer = StaffingServicer(store=store, clock=clock, certifications=certifications,
                                rules=rules, escalation_wait=escalation_wait)
    add = functools.partial(staffing_pb2_grpc.add_StaffingServiceServicer_to_server, servicer)
    once = rpc.IdempotencyInterceptor(SqlResponseMemo(store.engine), MUTATING_METHODS)
    return rpc.create_server(register=[add], service_names=[SERVICE_NAME], address=address,
                              security=security,
                              interceptors=[authorisation(store, clock), free_text.guard(), once],
                              on_loop=ON_LOOP if store.engine.dialect.name == "sqlite" else ())


def serve(settings: StaffingSettings, *, grace_seconds: float = 5.0) -> None:
    """Migrate, bind, serve until SIGTERM/SIGINT, then report NOT_SERVING and stop with grace."""
    migrate(settings.database_url)
    store = StaffingStore.open(settings.database_url)
    # Off-box, staffing presents TLS (trusting CLINOPS_STAFFING_TLS_ROOT_CERT_FILE) and its token.
    channel = rpc.client_channel(settings.training_target, settings.client_credentials())
    checker = TrainingChecker(channel, deadline_seconds=settings.training_deadline_seconds)
    rules = ClaimRules(min_rest_hours=settings.min_rest_hours,
                       weekly_hours_threshold=settings.weekly_hours_threshold)
    server, port, health = _create(store=store, clock=system_clock, address=settings.address,
                                   certifications=checker, rules=rules,
                                   security=settings.server_security(),
                                   escalation_wait=timedelta(
                                       minutes=settings.escalation_wait_minutes))
    # The outbox relay publishes awards to Redis (CLINOPS_REDIS_URL) from this process.
    relay = outbox.relay_from_environment(store.engine, staffing_outbox.OUTBOX, clock=system_clock)
    retention = Retention(SqlResponseMemo(store.engine), clock=system_clock).start()
    try:
        rpc.serve_until_signalled(server, health, name="staffing", port=port,
                                  grace_seconds=grace_seconds)
    finally:
        retention.stop()
        if relay is not None:
            relay.stop()
        checker.close()
        store.close()

