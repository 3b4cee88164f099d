"""App Home: on app_home_opened, gather what the person needs and publish their home tab.

The exception to "one RPC per listener": the tab shows three services at once, so the calls run
concurrently (asyncio.gather) inside the request's deadline budget, and a service that does not
answer turns only its own card into "not available".
"""

from __future__ import annotations

import asyncio
import calendar
import logging
from collections.abc import Awaitable, Mapping
from datetime import date, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import grpc
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.home import Home, ShiftGapLine, UnitReadiness, home_view
from bot.clients import ServiceCallError, ServiceClient
from clinops.common.v1 import common_pb2
from clinops.rpc import Caller
from clinops.staffing.v1 import staffing_pb2
from clinops.supplies.v1 import supplies_pb2
from clinops.training.v1 import training_pb2

log = logging.getLogger(__name__)

DEFAULT_ZONE = "America/Los_Angeles"
T = TypeVar("T")


async def _answer(call: Awaitable[T], *, when_refused: T | None = None) -> T | None:
    """The answer, or None when the service did not answer or refused (logged, no detail);
    `when_refused` when a refusal only means nothing there is for this person."""
    try:
        return await call
    except ServiceCallError as error:
        if when_refused is not None and error.code == grpc.StatusCode.PERMISSION_DENIED:
            return when_refused
        log.warning("app home: %s answered %s", error.service, error.code.name)
        return None


def _rpc(client: ServiceClient, method: str, request: Any) -> Awaitable[Any]:
    return client.call(getattr(client.stub, method), request)


def is_manager(member: staffing_pb2.StaffMember) -> bool:
    return staffing_pb2.DUTY_MANAGER in member.duties


def readiness_units(member: staffing_pb2.StaffMember | None,
                    units: dict[str, staffing_pb2.Unit]) -> list[staffing_pb2.Unit]:
    """The units whose readiness this person answers for: every unit for a house supervisor,
    the home unit for its manager or charge nurse, none for anyone else."""
    if member is None:
        return []
    if staffing_pb2.DUTY_SUPERVISOR in member.duties:
        return sorted(units.values(), key=lambda unit: unit.unit_id)
    if {staffing_pb2.DUTY_MANAGER, staffing_pb2.DUTY_CHARGE} & set(member.duties) \
            and member.home_unit_id:
        return [units.get(member.home_unit_id) or staffing_pb2.Unit(
            unit_id=member.home_unit_id, name=member.home_unit_id)]
    return []


def awaiting(proposals: list[supplies_pb2.Proposal], member: staffing_pb2.StaffMember | None,
             slack_user_id: str) -> list[supplies_pb2.Proposal]:
    """Proposals this person should decide: escalated to them, or open on the unit they manage."""
    manages = member.home_unit_id if member is not None and is_manager(member) else None

    def for_me(proposal: supplies_pb2.Proposal) -> bool:
        if proposal.state == supplies_pb2.PROPOSAL_STATE_ESCALATED:
            return proposal.escalated_to.slack_user_id == slack_user_id
        return proposal.state == supplies_pb2.PROPOSAL_STATE_OPEN and proposal.unit_id == manages

    return [proposal for proposal in proposals if for_me(proposal)]


def _licensed_gap(answer: staffing_pb2.GetShiftGapsResponse) -> int | None:
    if not answer.census_recorded:
        return None
    return sum(gap.gap for gap in answer.gaps)


def _shift_label(window: common_pb2.ShiftWindow) -> str:
    name = {common_pb2.SHIFT_DAY: "day", common_pb2.SHIFT_NIGHT: "night"}.get(window.shift, "")
    return f"{window.date.month:02d}-{window.date.day:02d} {name}"


async def _next_two_shifts(staffing: ServiceClient, unit_id: str) -> tuple[ShiftGapLine, ...]:
    """The shift in progress and the one after it, with their gaps."""
    now = await _rpc(staffing, "GetShiftGaps", staffing_pb2.GetShiftGapsRequest(unit_id=unit_id))
    window = now.window
    if window.shift == common_pb2.SHIFT_DAY:
        day, shift = window.date, common_pb2.SHIFT_NIGHT
    else:
        following = date(window.date.year, window.date.month, window.date.day) + timedelta(1)
        day = common_pb2.Date(year=following.year, month=following.month, day=following.day)
        shift = common_pb2.SHIFT_DAY
    after = await _rpc(staffing, "GetShiftGaps", staffing_pb2.GetShiftGapsRequest(
        unit_id=unit_id, day=common_pb2.DaySpec(date=day), shift=shift))
    return tuple(ShiftGapLine(_shift_label(answer.window), _licensed_gap(answer))
                 for answer in (now, after))


async def readiness_card(context: AsyncBoltContext, unit: staffing_pb2.Unit) -> UnitReadiness:
    """One unit's card; each of its three parts may be None (service not answering)."""
    shifts, compliance, stock, budget = await asyncio.gather(
        _answer(_next_two_shifts(context["staffing"], unit.unit_id)),
        _answer(_rpc(context["training"], "GetUnitCompliance",
                     training_pb2.GetUnitComplianceRequest(unit_id=unit.unit_id))),
        _answer(_rpc(context["supplies"], "GetStockStatus",
                     supplies_pb2.GetStockStatusRequest(unit_id=unit.unit_id))),
        _answer(_rpc(context["supplies"], "GetUnitBudget",
                     supplies_pb2.GetUnitBudgetRequest(unit_id=unit.unit_id))))
    low = None if stock is None else tuple(
        level.item.name or level.sku for level in stock.levels if level.at_or_below_reorder_point)
    return UnitReadiness(
        unit_id=unit.unit_id, unit_name=unit.name, shifts=shifts,
        compliant=None if compliance is None else compliance.fully_compliant,
        staff_count=None if compliance is None else compliance.staff_count, low_items=low,
        month="" if budget is None else calendar.month_name[budget.month_start.month],
        spent_cents=None if budget is None else budget.month_to_date_spend_cents,
        budget_cents=None if budget is None else budget.monthly_budget_cents)


async def gather_home(context: AsyncBoltContext) -> tuple[Home, ZoneInfo]:
    """Everything for the caller's tab, asked of the three services at once."""
    return await gather_home_for(context, team=context.team_id or "",
                                 user=context.user_id or "")


async def gather_home_for(context: Mapping[str, Any], *, team: str,
                          user: str) -> tuple[Home, ZoneInfo]:
    """Everything for one person's tab; `context` holds service clients acting for them."""
    staffing, training, supplies = context["staffing"], context["training"], context["supplies"]
    member, units, shifts, records, proposals, claims, renewals = await asyncio.gather(
        _answer(_rpc(staffing, "GetStaffMember", staffing_pb2.GetStaffMemberRequest(
            slack_team_id=team, slack_user_id=user))),
        _answer(_rpc(staffing, "ListUnits", staffing_pb2.ListUnitsRequest())),
        _answer(_rpc(staffing, "ListAssignments", staffing_pb2.ListAssignmentsRequest())),
        _answer(_rpc(training, "ListRecords", training_pb2.ListRecordsRequest())),
        # Supplies knows only approvers and receivers: to anyone else it says no, which here
        # means no proposal waits for them.
        _answer(_rpc(supplies, "ListProposals", supplies_pb2.ListProposalsRequest()),
                when_refused=supplies_pb2.ListProposalsResponse()),
        _answer(_rpc(staffing, "ListPendingClaims", staffing_pb2.ListPendingClaimsRequest())),
        _answer(_rpc(training, "ListPendingRenewals",
                     training_pb2.ListPendingRenewalsRequest())))
    me = member.staff_member if member is not None else None
    by_id = {unit.unit_id: unit for unit in (units.units if units is not None else ())}
    home_unit = by_id.get(me.home_unit_id) if me is not None else None
    zone = ZoneInfo(home_unit.time_zone if home_unit and home_unit.time_zone else DEFAULT_ZONE)
    cards = await asyncio.gather(*(readiness_card(context, unit)
                                   for unit in readiness_units(me, by_id)))
    return Home(
        display_name=me.display_name if me is not None else "",
        shifts=None if shifts is None else list(shifts.assignments),
        records=None if records is None else list(records.records),
        proposals=None if proposals is None else awaiting(list(proposals.proposals), me, user),
        claims=None if claims is None else list(claims.claims),
        renewals=None if renewals is None else list(renewals.renewals),
        readiness=list(cards),
    ), zone


async def refresh_homes(context: AsyncBoltContext, client: AsyncWebClient,
                        *slack_user_ids: str) -> None:
    """Republish these people's tabs after a decision changed their pending approvals.

    Best-effort: the decision already stands, so a failure is logged and never raised.
    """
    team = context.team_id or ""
    for user in dict.fromkeys(u for u in slack_user_ids if u):
        try:
            caller = Caller(slack_team_id=team, slack_user_id=user,
                            correlation_id=context.get("correlation_id", ""))
            acting = {name: context[name].acting_for(caller)
                      for name in ("staffing", "training", "supplies")}
            home, zone = await gather_home_for(acting, team=team, user=user)
            await client.views_publish(user_id=user, view=home_view(home, zone=zone))
        except Exception:  # noqa: BLE001 - a stale tab must never undo or fail the decision
            log.warning("app home: could not refresh a tab after a decision", exc_info=True)


async def home_opened(event: dict, context: AsyncBoltContext, client: AsyncWebClient) -> None:
    if event.get("tab", "home") != "home":
        return
    home, zone = await gather_home(context)
    await client.views_publish(user_id=event["user"], view=home_view(home, zone=zone))


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
