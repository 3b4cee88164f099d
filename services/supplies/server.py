"""The supplies gRPC servicer: translates proto ↔ use-case arguments, maps domain errors."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import grpc
from google.protobuf import timestamp_pb2

from clinops import event_delivery, outbox, rpc
from clinops.clock import Clock, system_clock
from clinops.common.v1 import common_pb2
from clinops.idempotency import Retention, SqlResponseMemo
from clinops.supplies.v1 import supplies_pb2, supplies_pb2_grpc
from services.supplies import free_text, receipts, usecases
from services.supplies import outbox as supplies_outbox
from services.supplies.authz import authorisation
from services.supplies.config import SuppliesSettings
from services.supplies.domain import DEFAULT_WINDOW_DAYS
from services.supplies.errors import (
    AlreadyDecided,
    AlreadyReceived,
    InvalidInput,
    NoApproverWithinLimit,
    NotAnApprover,
    NotIdentified,
    OverReceipt,
    SuppliesError,
    UnknownItem,
    UnknownOrder,
    UnknownProposal,
    UnknownStock,
    UnknownUnit,
)
from services.supplies.handoff import Backoff, OrderHandOff
from services.supplies.model import (
    Actor,
    Decision,
    Item,
    Proposal,
    ProposalState,
    ReorderFigures,
    StockLevel,
)
from services.supplies.orders import outlet_from_settings
from services.supplies.store import SuppliesStore, migrate

SERVICE_NAME = supplies_pb2.DESCRIPTOR.services_by_name["SuppliesService"].full_name
# A repeated idempotency key on these gets the first answer back (clinops.rpc); DecideProposal
# keeps its key with the decision itself, in the same transaction.
MUTATING_METHODS = tuple(f"/{SERVICE_NAME}/{name}" for name in (
    "RecordCount", "SetPar", "ImportStock", "SetProposalMessage", "ReceivePurchaseOrder",
    "ImportReceipts"))
log = logging.getLogger(__name__)

# The one table from domain errors to status codes.
STATUS_OF: dict[type[SuppliesError], grpc.StatusCode] = {
    UnknownUnit: grpc.StatusCode.NOT_FOUND,
    UnknownItem: grpc.StatusCode.NOT_FOUND,
    UnknownStock: grpc.StatusCode.NOT_FOUND,
    UnknownProposal: grpc.StatusCode.NOT_FOUND,
    NotIdentified: grpc.StatusCode.UNAUTHENTICATED,
    NotAnApprover: grpc.StatusCode.PERMISSION_DENIED,
    AlreadyDecided: grpc.StatusCode.FAILED_PRECONDITION,
    UnknownOrder: grpc.StatusCode.NOT_FOUND,
    AlreadyReceived: grpc.StatusCode.FAILED_PRECONDITION,
    OverReceipt: grpc.StatusCode.FAILED_PRECONDITION,
    NoApproverWithinLimit: grpc.StatusCode.FAILED_PRECONDITION,
}
_DECISIONS = {
    supplies_pb2.DECISION_APPROVE: Decision.APPROVE,
    supplies_pb2.DECISION_REJECT: Decision.REJECT,
    supplies_pb2.DECISION_EDIT_QUANTITIES: Decision.EDIT_QUANTITIES,
}


# Refusals as statuses: INVALID_ARGUMENT with field details, the rest by STATUS_OF.
_domain_errors = functools.partial(rpc.domain_errors, status_of=STATUS_OF,
                                   base_error=SuppliesError, invalid_input=InvalidInput)


def _caller(context: grpc.ServicerContext) -> Actor:
    caller = rpc.caller_from(context)
    return Actor(caller.slack_team_id, caller.slack_user_id)


def _idempotency_key(context: grpc.ServicerContext) -> str:
    return dict(context.invocation_metadata() or ()).get(rpc.IDEMPOTENCY_KEY, "")


def _timestamp(instant: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def _state(value: int) -> ProposalState | None:
    if value not in supplies_pb2.ProposalState.values():
        raise InvalidInput({"state": f"unknown value {value}"})
    name = supplies_pb2.ProposalState.Name(value).removeprefix("PROPOSAL_STATE_")
    return None if name == "UNSPECIFIED" else ProposalState(name)


def item_message(item: Item) -> supplies_pb2.Item:
    """The proto of a catalogue item."""
    return supplies_pb2.Item(
        sku=item.sku, name=item.name, unit_of_issue=item.unit_of_issue,
        pack_size=item.pack_size, unit_cost_cents=item.unit_cost_cents, supplier=item.supplier,
        lead_time_days=item.lead_time_days, lead_time_stddev_days=item.lead_time_stddev_days,
        critical=item.critical, substitute_skus=list(item.substitute_skus),
        service_level=item.service_level, use_eoq=item.use_eoq,
    )


def figures_message(figures: ReorderFigures) -> supplies_pb2.ReorderFigures:
    return supplies_pb2.ReorderFigures(
        daily_demand_mean=figures.daily_demand_mean,
        daily_demand_stddev=figures.daily_demand_stddev,
        lead_time_days=figures.lead_time_days,
        lead_time_stddev_days=figures.lead_time_stddev_days, z=figures.z,
        safety_stock=figures.safety_stock, fixed=figures.fixed,
        history_days=figures.history_days,
    )


def level_message(level: StockLevel) -> supplies_pb2.StockLevel:
    """The proto of one item at one unit, with its reorder point and flags."""
    stock = level.stock
    return supplies_pb2.StockLevel(
        unit_id=stock.unit_id, sku=stock.sku, par=stock.par, on_hand=stock.on_hand,
        on_order=stock.on_order, reorder_point=level.reorder_point,
        figures=figures_message(level.figures),
        at_or_below_reorder_point=level.at_or_below_reorder_point, below_par=level.below_par,
        out_of_stock=level.out_of_stock, item=item_message(level.item),
    )


def _actor(actor: Actor) -> common_pb2.Actor:
    return common_pb2.Actor(slack_team_id=actor.slack_team_id, slack_user_id=actor.slack_user_id,
                            staff_id=actor.staff_id, display_name=actor.display_name)


def proposal_message(proposal: Proposal) -> supplies_pb2.Proposal:
    """The proto of a proposal, with the figures behind each line and spend against budget."""
    message = supplies_pb2.Proposal(
        proposal_id=proposal.reference, unit_id=proposal.unit_id,
        state=supplies_pb2.ProposalState.Value(f"PROPOSAL_STATE_{proposal.state.value}"),
        lines=[
            supplies_pb2.ProposalLine(
                sku=line.sku, item_name=line.item_name, quantity=line.quantity,
                line_cost_cents=line.line_cost_cents, figures=figures_message(line.figures),
                inventory_position=line.inventory_position,
                reorder_point=line.figures.reorder_point, par=line.par,
                pack_size=line.pack_size,
            )
            for line in proposal.lines
        ],
        total_cents=proposal.total_cents,
        month_to_date_spend_cents=proposal.month_to_date_spend_cents,
        monthly_budget_cents=proposal.monthly_budget_cents,
        created_at=_timestamp(proposal.created_at), rejection_reason=proposal.rejection_reason,
        slack_channel_id=proposal.slack_channel_id, slack_message_ts=proposal.slack_message_ts,
        purchase_order_id=proposal.purchase_order_id,
        unit_slack_channel_id=proposal.unit_slack_channel_id,
    )
    if proposal.decided_by is not None:
        message.decided_by.CopyFrom(_actor(proposal.decided_by))
    if proposal.held_until is not None:
        message.held_until.CopyFrom(_timestamp(proposal.held_until))
    if proposal.decided_at is not None:
        message.decided_at.CopyFrom(_timestamp(proposal.decided_at))
    if proposal.escalated_to is not None:
        message.escalated_to.CopyFrom(_actor(proposal.escalated_to))
    return message


def _import_row(row: supplies_pb2.StockRow) -> usecases.ImportRow:
    day = (row.date.year, row.date.month, row.date.day) if row.HasField("date") else None
    return usecases.ImportRow(unit_id=row.unit_id, sku=row.sku, day=day,
                              counted=row.counted if row.has_count else None,
                              consumed=row.consumed)


class SuppliesServicer(supplies_pb2_grpc.SuppliesServiceServicer):
    """Translates each RPC to its use case."""

    def __init__(self, *, store: SuppliesStore, clock: Clock,
                 window_days: int = DEFAULT_WINDOW_DAYS,
                 order_placed: Callable[[], None] | None = None) -> None:
        self.store, self.clock, self.window_days = store, clock, window_days
        # Wakes the hand-off thread: the approval answers without waiting for the supplier.
        self.order_placed = order_placed

    def ListItems(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            items = usecases.list_items(store=self.store)
            return supplies_pb2.ListItemsResponse(items=[item_message(i) for i in items])

    def SetPar(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            level = usecases.set_par(
                unit_id=request.unit_id, sku=request.sku, par=request.par,
                fixed_reorder_point=request.fixed_reorder_point or None,
                caller=_caller(context), store=self.store, clock=self.clock,
                window_days=self.window_days)
            return supplies_pb2.SetParResponse(stock_level=level_message(level))

    def RecordCount(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            result = usecases.record_count(
                unit_id=request.unit_id, sku=request.sku, quantity=request.quantity,
                caller=_caller(context), store=self.store, clock=self.clock,
                window_days=self.window_days)
            response = supplies_pb2.RecordCountResponse(stock_level=level_message(result.level))
            if result.proposal is not None:
                response.proposal.CopyFrom(proposal_message(result.proposal))
            return response

    def ImportStock(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            result = usecases.import_stock(
                rows=[_import_row(r) for r in request.rows], caller=_caller(context),
                store=self.store, clock=self.clock, window_days=self.window_days)
            return supplies_pb2.ImportStockResponse(
                rows_written=result.rows_written,
                rejected=[supplies_pb2.RejectedRow(row_number=n, reason=why)
                          for n, why in result.rejected],
                proposals=[proposal_message(p) for p in result.proposals])

    def GetStockStatus(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            levels = usecases.get_stock_status(unit_id=request.unit_id, store=self.store,
                                               clock=self.clock, window_days=self.window_days)
            return supplies_pb2.GetStockStatusResponse(levels=[level_message(lv)
                                                               for lv in levels])

    def GetProposal(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            proposal = usecases.get_proposal(proposal_id=request.proposal_id, store=self.store,
                                             clock=self.clock)
            return supplies_pb2.GetProposalResponse(proposal=proposal_message(proposal))

    def ListProposals(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            proposals = usecases.list_proposals(unit_id=request.unit_id,
                                                state=_state(request.state), store=self.store,
                                                clock=self.clock)
            return supplies_pb2.ListProposalsResponse(
                proposals=[proposal_message(p) for p in proposals])

    def DecideProposal(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            if request.decision not in supplies_pb2.Decision.values():
                raise InvalidInput({"decision": f"unknown value {request.decision}"})
            proposal = usecases.decide_proposal(
                proposal_id=request.proposal_id, decision=_DECISIONS.get(request.decision),
                reason=request.reason, edits=[(e.sku, e.quantity) for e in request.edits],
                slack_channel_id=request.slack_channel_id,
                slack_message_ts=request.slack_message_ts, snooze_days=request.snooze_days,
                caller=_caller(context), idempotency_key=_idempotency_key(context),
                store=self.store, clock=self.clock)
            if proposal.purchase_order_id and self.order_placed is not None:
                self.order_placed()
            return supplies_pb2.DecideProposalResponse(proposal=proposal_message(proposal))

    def ScanReorders(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            proposals = usecases.scan_reorders(unit_id=request.unit_id, store=self.store,
                                               clock=self.clock, window_days=self.window_days)
            return supplies_pb2.ScanReordersResponse(
                proposals=[proposal_message(p) for p in proposals])

    def RecordEventDelivery(self, request, context):  # noqa: ANN001, ANN201, N802
        delivery = event_delivery.record_event_delivery(
            request, context, engine=self.store.engine, table=supplies_outbox.OUTBOX,
            clock=self.clock)
        return supplies_pb2.RecordEventDeliveryResponse(delivery=delivery)

    def GetEventDelivery(self, request, context):  # noqa: ANN001, ANN201, N802
        return supplies_pb2.GetEventDeliveryResponse(delivery=event_delivery.get_event_delivery(
            request, context, engine=self.store.engine, table=supplies_outbox.OUTBOX))

    def SetProposalMessage(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            proposal = usecases.set_proposal_message(
                proposal_id=request.proposal_id, slack_channel_id=request.slack_channel_id,
                slack_message_ts=request.slack_message_ts, store=self.store, clock=self.clock)
            return supplies_pb2.SetProposalMessageResponse(proposal=proposal_message(proposal))

    def GetUnitBudget(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            budget = usecases.get_unit_budget(unit_id=request.unit_id, store=self.store,
                                              clock=self.clock)
            start = budget.month_start
            return supplies_pb2.GetUnitBudgetResponse(
                unit_id=budget.unit_id, monthly_budget_cents=budget.monthly_budget_cents,
                month_to_date_spend_cents=budget.month_to_date_spend_cents,
                month_start=common_pb2.Date(year=start.year, month=start.month, day=start.day),
                time_zone=budget.time_zone)

    def ReceivePurchaseOrder(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            received = receipts.receive_purchase_order(
                purchase_order_id=request.purchase_order_id, caller=_caller(context),
                store=self.store, clock=self.clock)
            return self._receipt_message(received, _caller(context))

    def ImportReceipts(self, request, context):  # noqa: ANN001, ANN201, N802
        with _domain_errors(context):
            caller = _caller(context)
            result = receipts.import_receipts(
                rows=[receipts.ReceiptRow(r.purchase_order_id, r.sku, r.quantity)
                      for r in request.rows], caller=caller, store=self.store, clock=self.clock)
            return supplies_pb2.ImportReceiptsResponse(
                rows_written=result.rows_written,
                rejected=[supplies_pb2.RejectedRow(row_number=n, reason=why)
                          for n, why in result.rejected],
                orders=[self._receipt_message(r, caller) for r in result.received])

    def _receipt_message(self, received: receipts.Received, caller: Actor
                         ) -> supplies_pb2.ReceivePurchaseOrderResponse:
        """Every line of the order: what arrived now, the unit's stock after, what is left."""
        order = received.order
        stock = {line.sku: self.store.get_stock(order.unit_id, line.sku) for line in order.lines}
        return supplies_pb2.ReceivePurchaseOrderResponse(
            purchase_order_id=order.number, unit_id=order.unit_id,
            lines=[supplies_pb2.ReceivedLine(
                sku=x.sku, name=x.name, quantity=received.moved.get(x.sku, 0),
                on_hand=stock[x.sku].on_hand, on_order=stock[x.sku].on_order,
                ordered=x.quantity, outstanding=x.outstanding)
                for x in order.lines],
            received_by=common_pb2.Actor(
                slack_team_id=caller.slack_team_id, slack_user_id=caller.slack_user_id,
                display_name=order.received_by_name),
            received_at=_timestamp(order.received_at or self.clock()))

def create_server(
    *, store: SuppliesStore, clock: Clock, address: str = "127.0.0.1:0",
    window_days: int = DEFAULT_WINDOW_DAYS, security: rpc.ServerSecurity | None = None,
    hand_off: OrderHandOff | None = None,
) -> tuple[grpc.Server, int]:
    """A supplies server with health and reflection, bound but not started; port 0 → OS picks.

    An approval wakes `hand_off` (the process's hand-off thread); None: orders wait for a pass.
    """
    server, port, _ = _create(store=store, clock=clock, address=address, window_days=window_days,
                              security=security, hand_off=hand_off)
    return server, port


def _create(*, store: SuppliesStore, clock: Clock, address: str, window_days: int,  # noqa: ANN202
            security: rpc.ServerSecurity | None = None, hand_off: OrderHandOff | None = None):
    servicer = SuppliesServicer(store=store, clock=clock, window_days=window_days,
                                order_placed=hand_off.wake if hand_off is not None else None)
    add = functools.partial(supplies_pb2_grpc.add_SuppliesServiceServicer_to_server, servicer)
    once = rpc.IdempotencyInterceptor(SqlResponseMemo(store.engine), MUTATING_METHODS)
    return rpc.create_server(register=[add], service_names=[SERVICE_NAME], address=address,
                              security=security,
                              interceptors=[authorisation(store, clock), free_text.guard(), once])


def order_hand_off(settings: SuppliesSettings, store: SuppliesStore, clock: Clock
                   ) -> OrderHandOff:
    """The hand-off thread (not started) to the folder or webhook the settings name."""
    outlet = outlet_from_settings(orders_dir=settings.orders_dir,
                                  webhook_url=settings.order_webhook_url,
                                  timeout_seconds=settings.order_webhook_timeout_seconds)
    return OrderHandOff(store=store, outlet=outlet, clock=clock,
                        lease=timedelta(seconds=settings.order_hand_off_lease_seconds),
                        backoff=Backoff(settings.order_hand_off_retry_seconds,
                                        settings.order_hand_off_retry_max_seconds))


def serve(settings: SuppliesSettings, *, grace_seconds: float = 5.0) -> None:
    """Migrate, bind, serve until SIGTERM/SIGINT, then report NOT_SERVING and stop with grace."""
    migrate(settings.database_url)
    store = SuppliesStore.open(settings.database_url)
    # Approved orders go to the folder or webhook from this thread, never on a request's path.
    hand_off = order_hand_off(settings, store, system_clock).start()
    server, port, health = _create(store=store, clock=system_clock, address=settings.address,
                                   window_days=settings.demand_window_days,
                                   security=settings.server_security(), hand_off=hand_off)
    # The outbox relay publishes decisions to Redis (CLINOPS_REDIS_URL) from this process.
    relay = outbox.relay_from_environment(store.engine, supplies_outbox.OUTBOX, clock=system_clock)
    retention = Retention(SqlResponseMemo(store.engine), clock=system_clock).start()
    try:
        rpc.serve_until_signalled(server, health, name="supplies", port=port,
                                  grace_seconds=grace_seconds)
    finally:
        retention.stop()
        if relay is not None:
            relay.stop()
        hand_off.stop()
        store.close()
