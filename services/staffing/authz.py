"""Who may call each staffing RPC (clinops.authz): the table, the directory, refusals audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from clinops import authz
from clinops.authz import ANYONE, SERVICE, Member, Rule, person
from clinops.clock import Clock
from clinops.rpc import Caller
from clinops.staffing.v1 import staffing_pb2
from services.staffing.model import AuditEntry
from services.staffing.store import StaffingStore, normalise_unit_id
from services.staffing.tables import OpenShiftRow, StaffRow, UnitRow

SERVICE_DESCRIPTOR = staffing_pb2.DESCRIPTOR.services_by_name["StaffingService"]
# Who runs a unit's shifts: its charge nurses and managers, and the house supervisor.
RUNS_THE_UNIT = ("charge", "manager", "supervisor")


class StaffDirectory:
    """Callers as the staff directory knows them, and the units their requests are about."""

    stranger = "You are not in the staff directory; ask your unit manager."

    def __init__(self, store: StaffingStore) -> None:
        self.store = store

    def unit(self, unit_id: str) -> str | None:
        if not unit_id.strip():
            return ""
        with self.store._session() as session:
            row = session.get(UnitRow, normalise_unit_id(unit_id))
            return row.unit_id if row is not None else None

    def teams(self) -> frozenset[str]:
        with self.store._session() as session:
            return frozenset(session.scalars(select(StaffRow.slack_team_id).distinct()))

    def member(self, slack_team_id: str, slack_user_id: str) -> Member | None:
        with self.store._session() as session:
            row = session.scalars(select(StaffRow).where(
                StaffRow.slack_team_id == slack_team_id,
                StaffRow.slack_user_id == slack_user_id).limit(1)).first()
            if row is None:
                return None
            # The float pool is read like a duty: float nurses go where the gaps are.
            pool = {"FLOAT_POOL"} if row.employment_type == "FLOAT_POOL" else set()
            return Member(row.staff_id, row.home_unit_id or "",
                          frozenset({d.duty for d in row.duties} | pool))

    def holds(self, member: Member, relation: str, unit_id: str | None) -> bool:
        if relation == "huddle":
            # Charge nurses, managers and supervisors balance staff across units at the
            # staffing huddle, and float nurses go where the gaps are: every unit's gaps are
            # theirs to see.
            return bool(member.duties & {"CHARGE", "MANAGER", "SUPERVISOR", "FLOAT_POOL"})
        return authz.ward_relation(member, relation, unit_id)

    def unit_of_open_shift(self, open_shift_id: str) -> str | None:
        with self.store._session() as session:
            row = session.get(OpenShiftRow, open_shift_id.strip())
            return row.unit_id if row is not None else None

    def home_unit_of(self, staff_id: str) -> str | None:
        with self.store._session() as session:
            row = session.get(StaffRow, staff_id.strip())
            return (row.home_unit_id or "") if row is not None else None

    def staff_id_of(self, request: staffing_pb2.GetStaffMemberRequest) -> str:
        """Whom GetStaffMember asks about: a staff id, or a Slack user ("?" when unknown)."""
        if request.staff_id or not (request.slack_team_id or request.slack_user_id):
            return request.staff_id
        with self.store._session() as session:
            found = session.scalars(select(StaffRow.staff_id).where(
                StaffRow.slack_team_id == request.slack_team_id,
                StaffRow.slack_user_id == request.slack_user_id).limit(1)).first()
        return found or "?"

    def candidates_unit(self, request: staffing_pb2.ListCandidatesRequest) -> str | None:
        if request.open_shift_id:
            return self.unit_of_open_shift(request.open_shift_id)
        return self.unit(request.unit_id)


def table(directory: StaffDirectory) -> dict[str, Rule]:
    """Every StaffingService RPC → who may call it."""
    shift_unit = lambda request: directory.unit_of_open_shift(request.open_shift_id)  # noqa: E731
    person_unit = lambda request: directory.home_unit_of(request.staff_id)  # noqa: E731
    unit_id = authz.unit_field(directory)
    return {
        "ListUnits": ANYONE,
        "ListFacilities": ANYONE,
        "GetUnit": ANYONE,
        # Names who is on duty: the unit's own staff (empty unit: the caller's home unit).
        "GetShiftGaps": person("staff", "huddle", *RUNS_THE_UNIT, unit=unit_id, or_service=True,
                               says="Who is on duty on {unit} is for its staff, the float pool "
                                    "and the charge nurses and managers of the facility."),
        "GetStaffMember": person(*RUNS_THE_UNIT, "educator", own=directory.staff_id_of,
                                 unit=lambda r: directory.home_unit_of(directory.staff_id_of(r)),
                                 or_service=True),
        "RecordCensus": person(*RUNS_THE_UNIT, unit=unit_id, says=(
            "Only the charge nurse or manager of {unit} can change its census.")),
        "ReportGap": person(*RUNS_THE_UNIT, unit=unit_id, says=(
            "Only the charge nurse or manager of {unit} can report its gaps.")),
        # Open shifts are offered across the facility (float pool, other units' staff).
        "ListOpenShifts": person("member", or_service=True),
        "ClaimOpenShift": person("member"),
        # The bot records where it posted an open shift (for the reporter, or as the notifier).
        "SetOpenShiftMessage": person(*RUNS_THE_UNIT, unit=shift_unit, or_service=True),
        # Separation of duties: a charge nurse's own queued claim is confirmed by someone else.
        "ConfirmClaim": person(*RUNS_THE_UNIT, unit=shift_unit, not_own="staff_id", own_says=(
            "No one confirms their own claim: another charge nurse or the manager will."), says=(
            "Only the charge nurse or manager of {unit} can confirm claims for its open shifts.")),
        "ListCandidates": person(*RUNS_THE_UNIT, unit=directory.candidates_unit, says=(
            "Only the charge nurse or manager of {unit} can see candidates for its open shifts.")),
        "ListAssignments": person(*RUNS_THE_UNIT, own="staff_id", unit=person_unit,
                                  or_service=True),
        # Each row's unit is checked again by the use case (one the caller runs).
        "ImportAssignments": person(*RUNS_THE_UNIT),
        "OfferOpenShift": person(*RUNS_THE_UNIT, unit=shift_unit),
        "AdvanceEscalations": SERVICE,
        "ClaimPreShiftAlerts": SERVICE,
        "ReleasePreShiftAlert": SERVICE,
        # The use case lists only claims on units the caller runs (App Home).
        "ListPendingClaims": person("member", or_service=True),
        # The notifier's record of an event's post (clinops.event_delivery).
        "RecordEventDelivery": SERVICE,
        "GetEventDelivery": SERVICE,
        "CancelOpenShift": person(*RUNS_THE_UNIT, unit=shift_unit, says=(
            "Only the charge nurse or manager of {unit} can cancel its open shifts.")),
    }


def authorisation(store: StaffingStore, clock: Clock,
                  scheduler_credential: str | None = None) -> authz.Authorisation:
    """The interceptor enforcing `table`, auditing each refusal in staffing's audit log."""
    directory = StaffDirectory(store)

    def audit(caller: Caller, staff_id: str, rpc_name: str, subject: str, reason: str) -> None:
        now: datetime = clock()
        store.append_audit(AuditEntry(
            at=now, action=rpc_name[:32], subject=subject, outcome="REFUSED",
            actor_team_id=caller.slack_team_id[:32], actor_user_id=caller.slack_user_id[:32],
            actor_staff_id=staff_id, detail=reason))

    return authz.Authorisation(SERVICE_DESCRIPTOR, table(directory), directory=directory,
                               audit=audit, scheduler_credential=scheduler_credential)
