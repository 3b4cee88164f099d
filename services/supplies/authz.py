"""Who may call each supplies RPC (clinops.authz): the table, the directory, refusals audited.

Supplies knows people only as the approvers and receivers of its units (from the site file):
they are its directory. A unit's receivers are its charge nurses unless the site names others,
so counts and receipts are the charge nurse's, par levels and orders the approvers'.
"""

from __future__ import annotations

from sqlalchemy import select

from clinops import authz
from clinops.authz import ANYONE, SERVICE, Member, Rule, person
from clinops.clock import Clock
from clinops.rpc import Caller
from clinops.supplies.v1 import supplies_pb2
from services.supplies.errors import InvalidInput
from services.supplies.model import Actor
from services.supplies.receipts import parse_order_number
from services.supplies.store import AuditEntry, SuppliesStore, normalise_unit_id
from services.supplies.tables import (
    ApproverRow,
    ProposalRow,
    PurchaseOrderRow,
    ReceiverRow,
    UnitRow,
)
from services.supplies.usecases import parse_proposal_id

SERVICE_DESCRIPTOR = supplies_pb2.DESCRIPTOR.services_by_name["SuppliesService"]
KEEPERS = ("approver", "receiver")


class SuppliesDirectory:
    """Callers as approvers and receivers of units, and the units their requests are about."""

    stranger = "You are not in the staff directory; ask your unit manager."

    def __init__(self, store: SuppliesStore) -> None:
        self.store = store

    def unit(self, unit_id: str) -> str | None:
        if not unit_id.strip():
            return ""
        with self.store._session() as session:
            row = session.get(UnitRow, normalise_unit_id(unit_id))
            return row.unit_id if row is not None else None

    def first_approver(self, unit_id: str) -> str:
        with self.store._session() as session:
            return session.scalars(select(ApproverRow.display_name).where(
                ApproverRow.unit_id == unit_id).order_by(ApproverRow.rank).limit(1)).first() or ""

    def teams(self) -> frozenset[str]:
        with self.store._session() as session:
            return frozenset(session.scalars(select(ApproverRow.slack_team_id).union(
                select(ReceiverRow.slack_team_id))))

    def member(self, slack_team_id: str, slack_user_id: str) -> Member | None:
        units: dict[str, set[str]] = {}
        staff_id = ""
        with self.store._session() as session:
            for relation, table in (("approver", ApproverRow), ("receiver", ReceiverRow)):
                for row in session.scalars(select(table).where(
                        table.slack_team_id == slack_team_id,
                        table.slack_user_id == slack_user_id)):
                    units.setdefault(row.unit_id, set()).add(relation)
                    staff_id = staff_id or row.staff_id
        if not units:
            # Supplies knows only its approvers and receivers: anyone else of the facility's
            # team holds no relation here, and is told what they are not (the rule's words).
            return Member("") if slack_team_id in self.teams() else None
        return Member(staff_id, units={unit: frozenset(r) for unit, r in units.items()})

    def holds(self, member: Member, relation: str, unit_id: str | None) -> bool:
        return authz.ward_relation(member, relation, unit_id)

    def unit_of_proposal(self, request: object) -> str | None:
        """The proposal's unit, named by id or (DecideProposal) by the message it was posted in."""
        proposal_id = getattr(request, "proposal_id", "")
        with self.store._session() as session:
            if not proposal_id.strip() and getattr(request, "slack_message_ts", ""):
                return session.scalars(select(ProposalRow.unit_id).where(
                    ProposalRow.slack_channel_id == request.slack_channel_id.strip(),  # type: ignore[attr-defined]
                    ProposalRow.slack_message_ts == request.slack_message_ts.strip(),  # type: ignore[attr-defined]
                ).limit(1)).first()
            try:
                row = session.get(ProposalRow, parse_proposal_id(proposal_id))
            except InvalidInput:
                return None  # the use case names the field
            return row.unit_id if row is not None else None

    def unit_of_order(self, request: supplies_pb2.ReceivePurchaseOrderRequest) -> str | None:
        try:
            number = parse_order_number(request.purchase_order_id)
        except InvalidInput:
            return None
        with self.store._session() as session:
            row = session.get(PurchaseOrderRow, number)
            return row.unit_id if row is not None else None


def table(directory: SuppliesDirectory) -> dict[str, Rule]:
    """Every SuppliesService RPC → who may call it."""
    proposal_unit = directory.unit_of_proposal
    unit_id = authz.unit_field(directory)

    def not_an_approver(_request: object, unit: str) -> str:
        first = directory.first_approver(unit)
        return f"you are not an approver for {unit}'s orders" + (f"; ask {first}" if first else "")

    def not_a_receiver(request: object, unit: str) -> str:
        number = getattr(request, "purchase_order_id", "")
        return (f"only {unit}'s charge nurses, manager and approvers may receive its orders"
                + (f"; you cannot receive {number.strip().upper()}" if number else ""))
    return {
        "ListItems": ANYONE,
        "SetPar": person("approver", unit=unit_id,
                         says="only {unit}'s approvers may set its par levels"),
        "RecordCount": person(*KEEPERS, unit=unit_id, says=(
            "only {unit}'s charge nurses, manager and approvers may count its stock")),
        # Each row's unit is checked again by the use case (one the caller approves for).
        "ImportStock": person("approver", says=(
            "you are not an approver for any unit: only a unit's approvers may import its stock")),
        "ImportReceipts": person(*KEEPERS, says=(
            "only a unit's charge nurses, manager and approvers may receive its orders; "
            "nothing was written")),
        "GetStockStatus": ANYONE,
        # A proposal names who decided it: for the unit's approvers and receivers only.
        "GetProposal": person(*KEEPERS, unit=proposal_unit, or_service=True,
                              says=not_an_approver),
        "ListProposals": person(*KEEPERS, unit=unit_id, or_service=True),
        "DecideProposal": person("approver", unit=proposal_unit, says=not_an_approver),
        "ScanReorders": SERVICE,
        # Where a proposal was posted: by whoever posted it for the unit, or the notifier.
        "SetProposalMessage": person(*KEEPERS, unit=proposal_unit, or_service=True),
        "ReceivePurchaseOrder": person(*KEEPERS, unit=directory.unit_of_order,
                                       says=not_a_receiver),
        # The notifier's record of an event's post (clinops.event_delivery).
        "RecordEventDelivery": SERVICE,
        "GetEventDelivery": SERVICE,
        "GetUnitBudget": ANYONE,
    }


def authorisation(store: SuppliesStore, clock: Clock,
                  scheduler_credential: str | None = None) -> authz.Authorisation:
    """The interceptor enforcing `table`, auditing each refusal in supplies' audit log."""
    directory = SuppliesDirectory(store)

    def audit(caller: Caller, staff_id: str, rpc_name: str, subject: str, reason: str) -> None:
        store.audit(AuditEntry(
            clock(), Actor(caller.slack_team_id[:32], caller.slack_user_id[:32], staff_id),
            rpc_name[:32], subject, "REFUSED", reason))

    return authz.Authorisation(SERVICE_DESCRIPTOR, table(directory), directory=directory,
                               audit=audit, scheduler_credential=scheduler_credential)
