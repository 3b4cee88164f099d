"""Service clients over grpc.aio: every call carries a deadline and the acting Slack user.

Listeners get clients already bound to the caller from Bolt context (`context["staffing"]`), so
they never build metadata themselves. Channels must be opened inside the running event loop.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Self

import grpc

from bot.config import BotSettings
from clinops.authz import service_metadata
from clinops.common.v1 import common_pb2
from clinops.metrics import observe_client_call
from clinops.rpc import (
    CHANNEL_OPTIONS,
    READ_METHODS,
    Caller,
    caller_metadata,
    field_violations,
    idempotency_metadata,
)
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from clinops.supplies.v1 import supplies_pb2, supplies_pb2_grpc
from clinops.training.v1 import training_pb2, training_pb2_grpc

# A call with less than this left would fail anyway; let it fail as DEADLINE_EXCEEDED quickly.
MIN_TIMEOUT_SECONDS = 0.05
NOT_ANSWERING = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


def slack_request_key(body: dict) -> str:
    """What identifies one Slack request across its retries: event id, else trigger id.

    A retried Events API delivery keeps its event_id; a command, click or submission has its
    own trigger_id (a second click is a second request, decided by the service's own rules).
    """
    if not isinstance(body, dict):
        return ""
    for name in ("event_id", "trigger_id"):
        value = body.get(name)
        if isinstance(value, str) and value:
            return f"slack:{name}:{value[:80]}"
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        action_ts = actions[0].get("action_ts")
        if isinstance(action_ts, str) and action_ts:
            return f"slack:action_ts:{action_ts[:40]}"
    return ""


class ServiceCallError(Exception):
    """An RPC failed; carries which service, the status code and any field violations."""

    def __init__(
        self,
        *,
        service: str,
        code: grpc.StatusCode,
        details: str,
        violations: dict[str, str] | None = None,
        correlation_id: str = "",
        rpc: str = "",
    ) -> None:
        super().__init__(f"{service} answered {code.name}: {details}")
        self.service = service
        self.code = code
        self.details = details
        self.violations = violations or {}
        self.correlation_id = correlation_id
        # "/clinops.supplies.v1.SuppliesService/DecideProposal": which call it was.
        self.rpc = rpc

    @property
    def not_answering(self) -> bool:
        return self.code in NOT_ANSWERING

    @property
    def method(self) -> str:
        return self.rpc.rpartition("/")[2]

    @property
    def is_read(self) -> bool:
        grpc_service = self.rpc.strip("/").partition("/")[0]
        return self.method in READ_METHODS.get(grpc_service, ())

    @property
    def outcome_unknown(self) -> bool:
        """A change whose answer never came: it may have been committed before the reply was
        lost (the service died after its commit, or the deadline passed while it worked)."""
        return self.not_answering and not self.is_read


class ServiceClient:
    """One service's stub with a deadline, acting for one caller (or nobody, until bound).

    Bound to a caller, the deadline is a budget for the whole Slack request: a listener that
    makes a second call (ListUnits after NOT_FOUND) gets only what the first left, so the reply
    still comes well inside Slack's 3 s.
    """

    service = "Service"
    # The proto service's full name: the client metrics' grpc_service label.
    grpc_service = "unknown"

    def __init__(
        self,
        stub: Any,
        *,
        deadline_seconds: float,
        caller: Caller | None = None,
        budget_ends: float | None = None,
        request_key: str = "",
        service_identity: tuple[tuple[str, str], ...] = (),
    ):
        self.request_key = request_key
        # The scheduler credential, for the notifier and scheduler only (see `as_service`).
        self.service_identity = service_identity
        self.stub = stub
        self.deadline_seconds = deadline_seconds
        self.caller = caller or Caller(slack_team_id="", slack_user_id="")
        self.budget_ends = budget_ends

    def acting_for(self, caller: Caller, *, request_key: str = "") -> Self:
        """The same stub, carrying `caller` in every call's metadata, on a fresh time budget.

        With `request_key` (see `slack_request_key`) every call also carries an idempotency key
        made from it and the request, so a repeated Slack request changes nothing twice.
        """
        return type(self)(
            self.stub,
            deadline_seconds=self.deadline_seconds,
            caller=caller,
            budget_ends=time.monotonic() + self.deadline_seconds,
            request_key=request_key,
            service_identity=self.service_identity,
        )

    def as_service(self) -> Self:
        """The same client, also presenting the scheduler credential (clinops.authz): for the
        scheduler and the notifier, whose RPCs (ScanReorders, RecordReminderSent...) answer
        only them. Never for a listener acting on a Slack request."""
        twin = copy.copy(self)
        twin.service_identity = service_metadata()
        return twin

    def __deepcopy__(self, memo: dict) -> Self:
        # Bolt deep-copies the context for a lazy listener; the channel under the stub is shared
        # (and cannot be copied), so the lazy listener gets this same client.
        return self

    def idempotency_key(self, request: Any) -> str:
        """This Slack request's key for one RPC request (services remember only mutations)."""
        if not self.request_key:
            return ""
        what = request.DESCRIPTOR.full_name.encode() + request.SerializeToString(
            deterministic=True)
        return f"{self.request_key}:{hashlib.sha256(what).hexdigest()[:24]}"

    def timeout(self) -> float:
        """Seconds this call may take: the deadline, cut to what is left of the budget."""
        if self.budget_ends is None:
            return self.deadline_seconds
        return max(MIN_TIMEOUT_SECONDS, min(self.deadline_seconds,
                                            self.budget_ends - time.monotonic()))

    async def call(self, method: Callable[..., Awaitable[Any]], request: Any, *,
                   idempotency_key: str | None = None) -> Any:
        """One unary RPC with deadline, caller metadata and idempotency key; failures raise
        ServiceCallError."""
        key = self.idempotency_key(request) if idempotency_key is None else idempotency_key
        metadata = (*caller_metadata(self.caller), *idempotency_metadata(key),
                    *self.service_identity)
        # Counted and timed here rather than by a grpc.aio interceptor, whose wrapping of every
        # call cost ~0.1 ms of the bot's CPU per /shift-gap (BENCHMARKS.md). The RPC's name is
        # its request's minus "Request" (buf's STANDARD lint holds every request to that name).
        rpc = f"/{self.grpc_service}/{request.DESCRIPTOR.name.removesuffix('Request')}"
        started = time.perf_counter()
        try:
            answer = await method(request, timeout=self.timeout(), metadata=metadata)
        except grpc.aio.AioRpcError as error:
            observe_client_call(rpc, error.code(), time.perf_counter() - started)
            violations = (
                field_violations(error)
                if error.code() == grpc.StatusCode.INVALID_ARGUMENT
                else {}
            )
            raise ServiceCallError(
                service=self.service,
                code=error.code(),
                details=error.details() or "",
                violations=violations,
                correlation_id=self.caller.correlation_id,
                rpc=rpc,
            ) from error
        observe_client_call(rpc, grpc.StatusCode.OK, time.perf_counter() - started)
        return answer


class StaffingClient(ServiceClient):
    service = "Staffing"
    grpc_service = staffing_pb2.DESCRIPTOR.services_by_name["StaffingService"].full_name

    async def get_shift_gaps(
        self, request: staffing_pb2.GetShiftGapsRequest
    ) -> staffing_pb2.GetShiftGapsResponse:
        # A read: staffing keeps no answer for it, so no idempotency key is hashed or sent.
        return await self.call(self.stub.GetShiftGaps, request, idempotency_key="")

    async def list_units(self) -> list[staffing_pb2.Unit]:
        response = await self.call(self.stub.ListUnits, staffing_pb2.ListUnitsRequest())
        return list(response.units)

    async def record_census(
        self, request: staffing_pb2.RecordCensusRequest
    ) -> staffing_pb2.RecordCensusResponse:
        return await self.call(self.stub.RecordCensus, request)

    async def report_gap(
        self, request: staffing_pb2.ReportGapRequest
    ) -> staffing_pb2.ReportGapResponse:
        return await self.call(self.stub.ReportGap, request)

    async def set_open_shift_message(
        self, open_shift_id: str, channel_id: str, ts: str
    ) -> staffing_pb2.SetOpenShiftMessageResponse:
        request = staffing_pb2.SetOpenShiftMessageRequest(
            open_shift_id=open_shift_id, slack_channel_id=channel_id, slack_message_ts=ts)
        return await self.call(self.stub.SetOpenShiftMessage, request)

    async def claim_open_shift(
        self, open_shift_id: str, *, accept_overtime: bool = False
    ) -> staffing_pb2.ClaimOpenShiftResponse:
        request = staffing_pb2.ClaimOpenShiftRequest(open_shift_id=open_shift_id,
                                                      accept_overtime=accept_overtime)
        return await self.call(self.stub.ClaimOpenShift, request)

    async def confirm_claim(
        self, open_shift_id: str, staff_id: str
    ) -> staffing_pb2.ConfirmClaimResponse:
        request = staffing_pb2.ConfirmClaimRequest(open_shift_id=open_shift_id, staff_id=staff_id)
        return await self.call(self.stub.ConfirmClaim, request)

    async def cancel_open_shift(self, open_shift_id: str) -> staffing_pb2.CancelOpenShiftResponse:
        request = staffing_pb2.CancelOpenShiftRequest(open_shift_id=open_shift_id)
        return await self.call(self.stub.CancelOpenShift, request)

    async def list_candidates(
        self, request: staffing_pb2.ListCandidatesRequest
    ) -> staffing_pb2.ListCandidatesResponse:
        return await self.call(self.stub.ListCandidates, request)

    async def offer_open_shift(
        self, open_shift_id: str, staff_id: str
    ) -> staffing_pb2.OfferOpenShiftResponse:
        request = staffing_pb2.OfferOpenShiftRequest(open_shift_id=open_shift_id,
                                                     staff_id=staff_id)
        return await self.call(self.stub.OfferOpenShift, request)


class SuppliesClient(ServiceClient):
    service = "Supplies"
    grpc_service = supplies_pb2.DESCRIPTOR.services_by_name["SuppliesService"].full_name

    async def get_stock_status(self, unit_id: str) -> list[supplies_pb2.StockLevel]:
        request = supplies_pb2.GetStockStatusRequest(unit_id=unit_id)
        return list((await self.call(self.stub.GetStockStatus, request)).levels)

    async def record_count(
        self, unit_id: str, sku: str, quantity: int
    ) -> supplies_pb2.RecordCountResponse:
        request = supplies_pb2.RecordCountRequest(unit_id=unit_id, sku=sku, quantity=quantity)
        return await self.call(self.stub.RecordCount, request)

    async def scan_reorders(self, unit_id: str = "") -> list[supplies_pb2.Proposal]:
        """The scheduled scan: proposals it opened, for `bot.supply_posts.post_new_proposals`."""
        request = supplies_pb2.ScanReordersRequest(unit_id=unit_id)
        return list((await self.call(self.stub.ScanReorders, request)).proposals)

    async def get_proposal(self, proposal_id: str) -> supplies_pb2.Proposal:
        request = supplies_pb2.GetProposalRequest(proposal_id=proposal_id)
        return (await self.call(self.stub.GetProposal, request)).proposal

    async def set_proposal_message(
        self, proposal_id: str, channel_id: str, ts: str
    ) -> supplies_pb2.Proposal:
        request = supplies_pb2.SetProposalMessageRequest(
            proposal_id=proposal_id, slack_channel_id=channel_id, slack_message_ts=ts)
        return (await self.call(self.stub.SetProposalMessage, request)).proposal

    async def decide_proposal(
        self, request: supplies_pb2.DecideProposalRequest, *, idempotency_key: str
    ) -> supplies_pb2.Proposal:
        """Decide once: a retry with the same key gets the first decision back, not a second."""
        return (await self.call(self.stub.DecideProposal, request,
                                idempotency_key=idempotency_key)).proposal

    async def receive_purchase_order(
        self, purchase_order_id: str
    ) -> supplies_pb2.ReceivePurchaseOrderResponse:
        """Delivered: its lines move from on order to on hand (once; the service checks who)."""
        request = supplies_pb2.ReceivePurchaseOrderRequest(purchase_order_id=purchase_order_id)
        return await self.call(self.stub.ReceivePurchaseOrder, request)

    async def get_unit_budget(self, unit_id: str) -> supplies_pb2.GetUnitBudgetResponse:
        """The unit's monthly budget and approved spend this month, in its facility's month."""
        request = supplies_pb2.GetUnitBudgetRequest(unit_id=unit_id)
        return await self.call(self.stub.GetUnitBudget, request)


class TrainingClient(ServiceClient):
    service = "Training"
    grpc_service = training_pb2.DESCRIPTOR.services_by_name["TrainingService"].full_name

    async def list_records(
        self, *, staff_id: str = "", slack_user_id: str = ""
    ) -> training_pb2.ListRecordsResponse:
        """The caller's certifications, or someone's by staff id or Slack user id."""
        request = training_pb2.ListRecordsRequest(staff_id=staff_id, slack_user_id=slack_user_id)
        return await self.call(self.stub.ListRecords, request)

    async def get_unit_compliance(self, unit_id: str) -> training_pb2.GetUnitComplianceResponse:
        request = training_pb2.GetUnitComplianceRequest(unit_id=unit_id)
        return await self.call(self.stub.GetUnitCompliance, request)

    async def submit_renewal(
        self, *, certification_code: str, expires_on: date
    ) -> training_pb2.SubmitRenewalResponse:
        request = training_pb2.SubmitRenewalRequest(
            certification_code=certification_code,
            expires_on=common_pb2.Date(
                year=expires_on.year, month=expires_on.month, day=expires_on.day),
        )
        return await self.call(self.stub.SubmitRenewal, request)

    async def decide_renewal(
        self, renewal_id: str, *, verify: bool, reason: str = ""
    ) -> training_pb2.Renewal:
        """Verify (the record changes) or reject with a reason; the service checks who may."""
        request = training_pb2.DecideRenewalRequest(renewal_id=renewal_id, verify=verify,
                                                    reason=reason)
        return (await self.call(self.stub.DecideRenewal, request)).renewal

    async def export_unit_compliance(
        self, unit_id: str
    ) -> training_pb2.ExportUnitComplianceResponse:
        request = training_pb2.ExportUnitComplianceRequest(unit_id=unit_id)
        return await self.call(self.stub.ExportUnitCompliance, request)


@dataclass
class ServiceClients:
    """The bot's clients for the three services, sharing one channel each."""

    staffing: StaffingClient
    supplies: SuppliesClient
    training: TrainingClient
    channels: list[grpc.aio.Channel] = field(default_factory=list)
    # Other things the bot opened beside the channels (e.g. the reply session), closed with them.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @classmethod
    def connect(
        cls,
        *,
        staffing_target: str,
        supplies_target: str,
        training_target: str,
        deadline_seconds: float,
        credentials: grpc.ChannelCredentials | None = None,
    ) -> ServiceClients:
        """Open the channels (lazily connecting); call from inside the running event loop.

        With `credentials` (TLS + service token) every channel is secure; else plaintext.
        """

        def channel(target: str) -> grpc.aio.Channel:
            # Every call is counted and timed by method and status in ServiceClient.call.
            if credentials is None:
                return grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
            return grpc.aio.secure_channel(target, credentials, options=CHANNEL_OPTIONS)

        staffing = channel(staffing_target)
        supplies = channel(supplies_target)
        training = channel(training_target)
        return cls(
            staffing=StaffingClient(
                staffing_pb2_grpc.StaffingServiceStub(staffing), deadline_seconds=deadline_seconds
            ),
            supplies=SuppliesClient(
                supplies_pb2_grpc.SuppliesServiceStub(supplies), deadline_seconds=deadline_seconds
            ),
            training=TrainingClient(
                training_pb2_grpc.TrainingServiceStub(training), deadline_seconds=deadline_seconds
            ),
            channels=[staffing, supplies, training],
        )

    @classmethod
    def from_settings(cls, settings: BotSettings) -> ServiceClients:
        return cls.connect(
            staffing_target=settings.staffing_target,
            supplies_target=settings.supplies_target,
            training_target=settings.training_target,
            deadline_seconds=settings.rpc_deadline_seconds,
            credentials=settings.service_credentials(),
        )

    def acting_for(self, caller: Caller, *, request_key: str = "") -> dict[str, ServiceClient]:
        """Context entries for one Slack request: each client bound to the caller."""
        return {
            "staffing": self.staffing.acting_for(caller, request_key=request_key),
            "supplies": self.supplies.acting_for(caller, request_key=request_key),
            "training": self.training.acting_for(caller, request_key=request_key),
        }

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()
        for close in self.closers:
            await close()
