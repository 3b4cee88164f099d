"""`/supply status|count|help`, and Approve / Reject on a reorder proposal in the unit channel.

Who may decide is the supplies service's call, not the button's: the bot passes the clicker in
metadata and shows the service's refusal.
"""

import re
from dataclasses import dataclass

import grpc
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.messages import error_blocks, usage_blocks, usage_text
from bot.blocks.supplies import (
    count_blocks,
    count_text,
    decision_text,
    proposal_blocks,
    proposal_text,
    reject_modal,
    stock_status_blocks,
    stock_status_text,
)
from bot.clients import ServiceCallError, SuppliesClient
from bot.ids import ActionId, BlockId, CallbackId
from clinops.supplies.v1 import supplies_pb2

COMMAND = "/supply"
USAGE = (
    "*Usage:* `/supply status <unit>` · `/supply count <unit> <sku> <qty>` · `/supply help`\n"
    "• `/supply status ICU` — what is at or below reorder point, below par or out, critical "
    "first\n"
    "• `/supply count ICU CHG-CLOTH 12` — a physical count; at or below the reorder point it "
    "proposes a reorder in the unit's channel"
)
_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_&.-]{0,15}$")
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
# Refusals the person can act on, shown to them alone; anything else goes to the error handler.
REFUSALS = frozenset({grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT,
                      grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.FAILED_PRECONDITION,
                      grpc.StatusCode.UNAUTHENTICATED})


@dataclass(frozen=True)
class StatusQuery:
    unit_id: str


@dataclass(frozen=True)
class CountEntry:
    unit_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class SupplyUsage:
    problem: str | None = None


def parse_supply(text: str) -> StatusQuery | CountEntry | SupplyUsage:
    """`status <unit>` or `count <unit> <sku> <qty>`; anything else is usage, saying why."""
    words = (text or "").split()
    if not words or words[0].lower() == "help":
        return SupplyUsage()
    verb, rest = words[0].lower(), words[1:]
    if verb == "status":
        if len(rest) != 1:
            return SupplyUsage("Name one unit, e.g. `/supply status ICU`.")
        if not _UNIT.match(rest[0]):
            return SupplyUsage(f"`{rest[0]}` is not a unit name.")
        return StatusQuery(rest[0].upper())
    if verb == "count":
        if len(rest) != 3:
            return SupplyUsage("Give the unit, the SKU and the quantity counted, e.g. "
                               "`/supply count ICU CHG-CLOTH 12`.")
        unit_id, sku, quantity = rest
        if not _UNIT.match(unit_id):
            return SupplyUsage(f"`{unit_id}` is not a unit name.")
        if not _SKU.match(sku):
            return SupplyUsage(f"`{sku}` is not a SKU.")
        if not quantity.isdigit():
            return SupplyUsage(f"The quantity must be a whole number of items, not `{quantity}`.")
        return CountEntry(unit_id.upper(), sku.upper(), int(quantity))
    return SupplyUsage(f"I don't understand `{words[0]}`.")


def refusal_text(error: ServiceCallError) -> str:
    """The service's own words for a refusal, with field problems when it named them."""
    if error.violations:
        return "; ".join(f"{field}: {why}" for field, why in error.violations.items())
    return error.details[:1].upper() + error.details[1:] if error.details else error.code.name


async def supply(ack: AsyncAck, command: dict, respond: AsyncRespond, context: dict,
                 client: AsyncWebClient) -> None:
    """ack → GetStockStatus or RecordCount → blocks → ephemeral reply."""
    await ack()
    parsed = parse_supply(command.get("text", ""))
    if isinstance(parsed, SupplyUsage):
        await respond(response_type="ephemeral", blocks=usage_blocks(USAGE, parsed.problem),
                      text=usage_text(USAGE, parsed.problem))
        return
    supplies: SuppliesClient = context["supplies"]
    try:
        if isinstance(parsed, StatusQuery):
            levels = await supplies.get_stock_status(parsed.unit_id)
            await respond(response_type="ephemeral",
                          blocks=stock_status_blocks(parsed.unit_id, levels),
                          text=stock_status_text(parsed.unit_id, levels))
            return
        counted = await supplies.record_count(parsed.unit_id, parsed.sku, parsed.quantity)
        posted_in = await _post_or_update(counted, supplies, client)
    except ServiceCallError as error:
        if error.code not in REFUSALS:
            raise
        problem = refusal_text(error)
        await respond(response_type="ephemeral", blocks=usage_blocks(USAGE, problem),
                      text=usage_text(USAGE, problem))
        return
    await respond(response_type="ephemeral", blocks=count_blocks(counted, posted_in=posted_in),
                  text=count_text(counted, posted_in=posted_in))


async def _post_or_update(counted: supplies_pb2.RecordCountResponse, supplies: SuppliesClient,
                          client: AsyncWebClient) -> str:
    """A new proposal is posted to the unit's channel and its ts recorded; an extended one is
    updated where it stands. Returns the channel it is in ("" when the unit has none)."""
    if not counted.HasField("proposal"):
        return ""
    proposal = counted.proposal
    if proposal.slack_message_ts:
        await client.chat_update(channel=proposal.slack_channel_id,
                                 ts=proposal.slack_message_ts,
                                 blocks=proposal_blocks(proposal), text=proposal_text(proposal))
        return proposal.slack_channel_id
    channel = proposal.unit_slack_channel_id
    if not channel:
        return ""
    posted = await client.chat_postMessage(channel=channel, blocks=proposal_blocks(proposal),
                                           text=proposal_text(proposal))
    await supplies.set_proposal_message(proposal.proposal_id, posted["channel"], posted["ts"])
    return posted["channel"]


def action_idempotency_key(body: dict, action: dict) -> str:
    """One Slack click, identified: a retry of the same request carries the same key."""
    team = (body.get("team") or {}).get("id", "")
    user = (body.get("user") or {}).get("id", "")
    message_ts = (body.get("container") or {}).get("message_ts", "")
    return f"slack:{team}:{user}:{message_ts}:{action.get('action_ts', '')}"


async def _echo_decision(proposal: supplies_pb2.Proposal, client: AsyncWebClient) -> None:
    """The decision in the proposal's thread, and the parent message showing the new state."""
    if not (proposal.slack_channel_id and proposal.slack_message_ts):
        return
    await client.chat_postMessage(channel=proposal.slack_channel_id,
                                  thread_ts=proposal.slack_message_ts,
                                  text=decision_text(proposal))
    await client.chat_update(channel=proposal.slack_channel_id, ts=proposal.slack_message_ts,
                             blocks=proposal_blocks(proposal), text=proposal_text(proposal))


async def approve(ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, context: dict,
                  client: AsyncWebClient) -> None:
    """ack → DecideProposal(approve) → thread post + parent update, or an ephemeral refusal."""
    await ack()
    supplies: SuppliesClient = context["supplies"]
    request = supplies_pb2.DecideProposalRequest(proposal_id=action.get("value", ""),
                                                 decision=supplies_pb2.DECISION_APPROVE)
    try:
        proposal = await supplies.decide_proposal(
            request, idempotency_key=action_idempotency_key(body, action))
    except ServiceCallError as error:
        if error.code not in REFUSALS:
            raise
        text = refusal_text(error)
        await respond(response_type="ephemeral", replace_original=False,
                      blocks=error_blocks(text), text=text)
        return
    await _echo_decision(proposal, client)


async def reject(ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient) -> None:
    """Reject needs a reason: open the modal; the service checks who may reject on submit."""
    await ack()
    await client.views_open(trigger_id=body["trigger_id"],
                            view=reject_modal(action.get("value", "")))


async def reject_submitted(ack: AsyncAck, body: dict, view: dict, context: dict,
                           client: AsyncWebClient) -> None:
    """DecideProposal(reject, reason); a refusal is shown on the modal's reason field."""
    reason = (view["state"]["values"].get(BlockId.REJECT_REASON, {})
              .get(ActionId.REJECT_REASON_INPUT, {}).get("value") or "")
    supplies: SuppliesClient = context["supplies"]
    request = supplies_pb2.DecideProposalRequest(
        proposal_id=view.get("private_metadata", ""), decision=supplies_pb2.DECISION_REJECT,
        reason=reason)
    try:
        # The modal's id is unique per opening: a retried submission decides nothing twice.
        proposal = await supplies.decide_proposal(request,
                                                  idempotency_key=f"slack:view:{view['id']}")
    except ServiceCallError as error:
        if error.code not in REFUSALS:
            raise
        await ack(response_action="errors",
                  errors={BlockId.REJECT_REASON: refusal_text(error)[:150]})
        return
    await ack()
    await _echo_decision(proposal, client)


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(supply)
    app.action(ActionId.APPROVE_PROPOSAL)(approve)
    app.action(ActionId.REJECT_PROPOSAL)(reject)
    app.view(CallbackId.REJECT_PROPOSAL)(reject_submitted)
