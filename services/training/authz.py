"""Who may call each training RPC (clinops.authz): the table, the directory, refusals audited."""

from __future__ import annotations

from sqlalchemy import select

from clinops import authz
from clinops.authz import ANYONE, SERVICE, Member, Rule, person
from clinops.clock import Clock
from clinops.rpc import Caller
from clinops.training.v1 import training_pb2
from services.training.model import AuditEntry
from services.training.store import TrainingStore, normalise_unit_id
from services.training.tables import RenewalRow, StaffRow, UnitRow

SERVICE_DESCRIPTOR = training_pb2.DESCRIPTOR.services_by_name["TrainingService"]
# Who may see and decide others' certificates: an educator (any unit: educators serve the
# facility), the person's unit manager, the house supervisor.
OVERSEES = ("educator", "manager", "supervisor")


class TrainingDirectory:
    """Callers as training's copy of the roster knows them."""

    stranger = "you are not on the training roster; ask your unit manager"

    def __init__(self, store: TrainingStore) -> None:
        self.store = store

    def unit(self, unit_id: str) -> str | None:
        if not unit_id.strip():
            return ""
        with self.store._session() as session:
            row = session.get(UnitRow, normalise_unit_id(unit_id))
            return row.unit_id if row is not None else None

    def name_of(self, staff_id: str | None) -> str:
        with self.store._session() as session:
            row = session.get(StaffRow, (staff_id or "").strip())
            return row.display_name if row is not None else "the person"

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
            return Member(row.staff_id, row.home_unit_id or "", frozenset(row.duties.split()))

    def holds(self, member: Member, relation: str, unit_id: str | None) -> bool:
        if relation == "educator":
            return "EDUCATOR" in member.duties
        return authz.ward_relation(member, relation, unit_id)

    def home_unit_of(self, staff_id: str) -> str | None:
        with self.store._session() as session:
            row = session.get(StaffRow, staff_id.strip())
            return (row.home_unit_id or "") if row is not None else None

    def records_of(self, request: training_pb2.ListRecordsRequest) -> str:
        """Whose records: a staff id, a Slack user (in the caller's team), or "" (the caller)."""
        if request.staff_id or not request.slack_user_id:
            return request.staff_id
        with self.store._session() as session:
            found = session.scalars(select(StaffRow.staff_id).where(
                StaffRow.slack_user_id == request.slack_user_id).limit(1)).first()
        return found or "?"

    def renewal_of(self, request: training_pb2.DecideRenewalRequest) -> str | None:
        with self.store._session() as session:
            row = session.get(RenewalRow, request.renewal_id.strip())
            return row.staff_id if row is not None else None


def table(directory: TrainingDirectory) -> dict[str, Rule]:
    """Every TrainingService RPC → who may call it."""
    def renewal_unit(request: training_pb2.DecideRenewalRequest) -> str | None:
        whose = directory.renewal_of(request)
        return None if whose is None else directory.home_unit_of(whose)

    unit_id = authz.unit_field(directory)
    return {
        "ListCertificationTypes": ANYONE,
        "ListRequirements": ANYONE,
        "ListRecords": person(*OVERSEES, own=directory.records_of,
                              unit=lambda r: directory.home_unit_of(directory.records_of(r)),
                              says=lambda r, _: (
                                  f"only {directory.name_of(directory.records_of(r))}, their "
                                  "unit manager or an educator may see their certifications")),
        "ImportRecords": person(*OVERSEES),
        # Staffing asks as the service; a person about themselves or a unit they run.
        "CheckEligibility": person("charge", "manager", "supervisor", own="staff_id",
                                   unit=unit_id, or_service=True),
        "ListExpiring": SERVICE,
        # Counts for anyone; the use case adds the names of the gaps only for managers and
        # educators of the unit.
        "GetUnitCompliance": ANYONE,
        "SubmitRenewal": person("member"),
        # Separation of duties: no one verifies their own renewal.
        "DecideRenewal": person(
            *OVERSEES, unit=renewal_unit, not_own=directory.renewal_of,
            own_says="nobody verifies their own renewal; your educator or manager will",
            says=lambda r, _: (f"only an educator or {directory.name_of(directory.renewal_of(r))}"
                               "'s unit manager may verify or reject this renewal")),
        "RecordReminderSent": SERVICE,
        "QueueReminders": SERVICE,
        # Names and certificates: one unit's for its manager; every unit's (empty) only for those
        # who oversee every unit.
        "ListCertificationDigest": person(*OVERSEES, or_service=True,
                                          unit=lambda r: r.unit_id or authz.EVERY_UNIT),
        "ExportUnitCompliance": person(*OVERSEES, unit=unit_id, says=(
            "only {unit}'s managers and the educators may export its certification compliance")),
        # The notifier's record of an event's post (clinops.event_delivery).
        "RecordEventDelivery": SERVICE,
        "GetEventDelivery": SERVICE,
        # The use case lists only renewals the caller may verify (App Home).
        "ListPendingRenewals": person("member"),
    }


def authorisation(store: TrainingStore, clock: Clock,
                  scheduler_credential: str | None = None) -> authz.Authorisation:
    """The interceptor enforcing `table`, auditing each refusal in training's audit log."""
    directory = TrainingDirectory(store)

    def audit(caller: Caller, staff_id: str, rpc_name: str, subject: str, reason: str) -> None:
        # Training's audit log has no detail column: the reason goes with the outcome.
        store.append_audit(AuditEntry(
            clock(), rpc_name[:32], subject, f"REFUSED: {reason}", staff_id,
            caller.slack_team_id[:32], caller.slack_user_id[:32]))

    return authz.Authorisation(SERVICE_DESCRIPTOR, table(directory), directory=directory,
                               audit=audit, scheduler_credential=scheduler_credential)
