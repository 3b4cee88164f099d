"""`/supply status|count|help`; Approve / Edit quantities / Reject on a reorder proposal in the
unit channel, and `approve` / `reject <reason>` replied in its thread.

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
    THREAD_USAGE,
    count_blocks,
    count_text,
    edit_block_id,
    edit_modal,
    receipt_blocks,
    receipt_text,
    reject_modal,
    stock_status_blocks,
    stock_status_text,
)
from bot.clients import ServiceCallError, SuppliesClient
from bot.dedupe import Dedupe
from bot.home import refresh_homes
from bot.ids import ActionId, BlockId, CallbackId
from bot.supply_posts import post_new_proposals, show_decision
from clinops.supplies.v1 import supplies_pb2

COMMAND = "/supply"
USAGE = (
    "*Usage:* `/supply status <unit>` · `/supply count <unit> <sku> <qty>` · "
    "`/supply receive <PO>` · `/supply help`\n"
    "• `/supply status ICU` — what is at or below reorder point, below par or out, critical "
    "first\n"
    "• `/supply count ICU CHG-CLOTH 12` — a physical count; at or below the reorder point it "
    "proposes a reorder in the unit's channel\n"
    "• `/supply receive PO-00001` — a delivered order: what it still expects moves from on order "
    "to on hand (the unit's charge nurse or manager)"
)
_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_&.-]{0,15}$")
_ORDER = re.compile(r"^(PO-?)?[0-9]{1,9}$", re.IGNORECASE)
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
# Refusals the person can act on, shown to them alone; anything else goes to the error handler.
REFUSALS = frozenset({grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT,
                      grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.FAILED_PRECONDITION,
                      grpc.StatusCode.UNAUTHENTICATED})
# A refusal for what was typed (unknown unit, SKU or PO; a bad number) comes with the usage.
MISTYPED = frozenset({grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT})


@dataclass(frozen=True)
class StatusQuery:
    unit_id: str


@dataclass(frozen=True)
class CountEntry:
    unit_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class Receipt:
    purchase_order_id: str


@dataclass(frozen=True)
class SupplyUsage:
    problem: str | None = None


def parse_supply(text: str) -> StatusQuery | CountEntry | Receipt | SupplyUsage:
    """`status <unit>`, `count <unit> <sku> <qty>` or `receive <PO>`; else usage, saying why."""
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
    if verb == "receive":
        if len(rest) != 1:
            return SupplyUsage("Name one purchase order, e.g. `/supply receive PO-00001`.")
        if not _ORDER.match(rest[0]):
            return SupplyUsage(f"`{rest[0]}` is not a purchase order number such as PO-00001.")
        return Receipt(rest[0].upper())
    return SupplyUsage(f"I don't understand `{words[0]}`.")


def refusal_text(error: ServiceCallError) -> str:
    """The service's own words for a refusal, with field problems when it named them."""
    if error.violations:
        return "; ".join(f"{field}: {why}" for field, why in error.violations.items())
    return error.details[:1].upper() + error.details[1:] if error.details else error.code.name


async def supply(ack: AsyncAck, command: dict, respond: AsyncRespond, context: dict,
                 client: AsyncWebClient) -> None:
    """ack → GetStockStatus, RecordCount or ReceivePurchaseOrder → blocks → ephemeral reply."""
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
        if isinstance(parsed, Receipt):
            received = await supplies.receive_purchase_order(parsed.purchase_order_id)
            await respond(response_type="ephemeral", blocks=receipt_blocks(received),
                          text=receipt_text(received))
            return
        counted = await supplies.record_count(parsed.unit_id, parsed.sku, parsed.quantity)
        posted_in = await _post_or_update(counted, supplies, client)
    except ServiceCallError as error:
        if error.code not in REFUSALS:
            raise
        problem = refusal_text(error)
        if error.code in MISTYPED:
            await respond(response_type="ephemeral", blocks=usage_blocks(USAGE, problem),
                          text=usage_text(USAGE, problem))
        else:  # refused or already done: the reason alone, the command was typed right
            await respond(response_type="ephemeral", blocks=error_blocks(problem), text=problem)
        return
    await respond(response_type="ephemeral", blocks=count_blocks(counted, posted_in=posted_in),
                  text=count_text(counted, posted_in=posted_in))


async def _post_or_update(counted: supplies_pb2.RecordCountResponse, supplies: SuppliesClient,
                          client: AsyncWebClient) -> str:
    """An extended proposal is updated where it stands; a new one is posted to the unit's
    channel by the notifier (supplies' proposal.created event). Returns the channel it is (or
    is going) in ("" when the unit has none)."""
    if not counted.HasField("proposal"):
        return ""
    posted = await post_new_proposals(client, supplies, [counted.proposal])
    return posted[0].channel_id if posted else counted.proposal.unit_slack_channel_id


def action_idempotency_key(body: dict, action: dict) -> str:
    """One Slack click, identified: a retry of the same request carries the same key."""
    team = (body.get("team") or {}).get("id", "")
    user = (body.get("user") or {}).get("id", "")
    message_ts = (body.get("container") or {}).get("message_ts", "")
    return f"slack:{team}:{user}:{message_ts}:{action.get('action_ts', '')}"


async def approve(ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, context: dict,
                  client: AsyncWebClient) -> None:
    """ack → DecideProposal(approve) → parent update (the thread line is an event), or an
    ephemeral refusal."""
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
    await show_decision(proposal, client)
    await refresh_homes(context, client, context.user_id or "",
                        proposal.escalated_to.slack_user_id)  # their pending lists changed


async def reject(ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient) -> None:
    """Reject needs a reason: open the modal; the service checks who may reject on submit."""
    await ack()
    await client.views_open(trigger_id=body["trigger_id"],
                            view=reject_modal(action.get("value", "")))


async def reject_submitted(ack: AsyncAck, body: dict, view: dict, context: dict,
                           client: AsyncWebClient) -> None:
    """DecideProposal(reject, reason); a refusal is shown on the modal's reason field."""
    values = view["state"]["values"]
    reason = (values.get(BlockId.REJECT_REASON, {})
              .get(ActionId.REJECT_REASON_INPUT, {}).get("value") or "")
    snooze = ((values.get(BlockId.REJECT_SNOOZE, {}).get(ActionId.REJECT_SNOOZE_INPUT, {})
               .get("selected_option") or {}).get("value") or "0")
    supplies: SuppliesClient = context["supplies"]
    request = supplies_pb2.DecideProposalRequest(
        proposal_id=view.get("private_metadata", ""), decision=supplies_pb2.DECISION_REJECT,
        reason=reason, snooze_days=int(snooze) if snooze.isdigit() else 0)
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
    await show_decision(proposal, client)
    await refresh_homes(context, client, context.user_id or "",
                        proposal.escalated_to.slack_user_id)  # their pending lists changed


# ---- edit quantities ----------------------------------------------------------------------

async def edit(ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, context: dict,
               client: AsyncWebClient) -> None:
    """ack → GetProposal → the modal with one number per line (the service checks on submit)."""
    await ack()
    supplies: SuppliesClient = context["supplies"]
    try:
        proposal = await supplies.get_proposal(action.get("value", ""))
    except ServiceCallError as error:
        if error.code not in REFUSALS:
            raise
        text = refusal_text(error)
        await respond(response_type="ephemeral", replace_original=False,
                      blocks=error_blocks(text), text=text)
        return
    await client.views_open(trigger_id=body["trigger_id"], view=edit_modal(proposal))


def parse_edit_values(values: dict) -> tuple[list[tuple[str, int]], dict[str, str]]:
    """(sku, quantity) per line of the submitted modal, or errors keyed by the line's block."""
    edits: list[tuple[str, int]] = []
    errors: dict[str, str] = {}
    prefix = f"{BlockId.EDIT_QUANTITY}."
    for block_id, inputs in values.items():
        if not block_id.startswith(prefix):
            continue
        raw = str((inputs.get(ActionId.EDIT_QUANTITY_INPUT) or {}).get("value") or "").strip()
        if not raw.isdigit():
            errors[block_id] = "A whole number of items, 0 or more."
            continue
        edits.append((block_id.removeprefix(prefix), int(raw)))
    return edits, errors


def _edit_errors(error: ServiceCallError, edits: list[tuple[str, int]]) -> dict[str, str]:
    """The service's refusal beside the line it names (edits[n] → the n-th line sent)."""
    errors: dict[str, str] = {}
    for field, why in error.violations.items():
        match = re.match(r"^edits\[(\d+)\]", field)
        if match and int(match.group(1)) < len(edits):
            errors[edit_block_id(edits[int(match.group(1))][0])] = why[:150]
    if not errors and edits:
        errors[edit_block_id(edits[0][0])] = refusal_text(error)[:150]
    return errors


async def edit_submitted(ack: AsyncAck, body: dict, view: dict, context: dict,
                         client: AsyncWebClient) -> None:
    """DecideProposal(edit quantities); errors shown on the modal's fields, else the parent
    updated (the thread line is an event)."""
    edits, errors = parse_edit_values(view.get("state", {}).get("values", {}))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    if not edits:
        # No quantity field came back (not a modal this bot opened): nothing to edit, nothing
        # to show an error beside; the service is not asked.
        await ack()
        return
    supplies: SuppliesClient = context["supplies"]
    request = supplies_pb2.DecideProposalRequest(
        proposal_id=view.get("private_metadata", ""),
        decision=supplies_pb2.DECISION_EDIT_QUANTITIES,
        edits=[supplies_pb2.QuantityEdit(sku=sku, quantity=qty) for sku, qty in edits])
    try:
        # The modal's id is unique per opening: a retried submission edits nothing twice.
        proposal = await supplies.decide_proposal(request,
                                                  idempotency_key=f"slack:view:{view['id']}")
    except ServiceCallError as error:
        if error.code not in REFUSALS:
            raise
        await ack(response_action="errors", errors=_edit_errors(error, edits))
        return
    await ack()
    await show_decision(proposal, client)
    await refresh_homes(context, client, context.user_id or "",
                        proposal.escalated_to.slack_user_id)  # their pending lists changed


# ---- decisions replied in the proposal's thread ------------------------------------------

_MENTION = re.compile(r"^(<@[A-Z0-9]+>\s*)+")


@dataclass(frozen=True)
class ThreadDecision:
    decision: int
    reason: str = ""


def parse_thread_reply(text: str) -> ThreadDecision | None:
    """`approve` or `reject <reason>` (a leading @mention of the bot is fine); else None, as
    people talk in threads and only these two words are meant for the bot."""
    words = _MENTION.sub("", (text or "").strip()).split(maxsplit=1)
    if not words:
        return None
    verb = words[0].lower().rstrip(".!:,")
    if verb == "approve" and len(words) == 1:
        return ThreadDecision(supplies_pb2.DECISION_APPROVE)
    if verb == "reject":
        return ThreadDecision(supplies_pb2.DECISION_REJECT, words[1].strip() if len(words) > 1
                              else "")
    return None


async def thread_reply(body: dict, event: dict, context: dict, client: AsyncWebClient) -> None:
    """A reply in a proposal's thread: once per event (retries deduped), one DecideProposal
    naming the proposal by the thread, then the parent update (the thread line is an event) or
    an ephemeral refusal or usage."""
    thread_ts = event.get("thread_ts")
    if (not thread_ts or thread_ts == event.get("ts") or event.get("subtype")
            or event.get("bot_id") or not event.get("user")):
        return
    parsed = parse_thread_reply(event.get("text", ""))
    if parsed is None:
        return
    event_id = body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
    dedupe: Dedupe = context["dedupe"]
    if not await dedupe.first_time(f"slack-event:{event_id}"):
        return
    supplies: SuppliesClient = context["supplies"]
    request = supplies_pb2.DecideProposalRequest(
        decision=parsed.decision, reason=parsed.reason,
        slack_channel_id=event.get("channel", ""), slack_message_ts=thread_ts)
    try:
        proposal = await supplies.decide_proposal(request,
                                                  idempotency_key=f"slack:event:{event_id}")
    except ServiceCallError as error:
        if error.code == grpc.StatusCode.NOT_FOUND:
            return  # not a proposal's thread: the words were not for us
        if error.code not in REFUSALS:
            await dedupe.forget(f"slack-event:{event_id}")  # let Slack's retry try again
            raise
        # A missing reason gets the usage; a reason refused (e.g. it names a patient) its why.
        text = (THREAD_USAGE if "reason" in error.violations and not parsed.reason
                else refusal_text(error))
        await client.chat_postEphemeral(channel=event["channel"], user=event["user"],
                                        thread_ts=thread_ts, text=text)
        return
    await show_decision(proposal, client)
    await refresh_homes(context, client, context.user_id or "",
                        proposal.escalated_to.slack_user_id)  # their pending lists changed


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(supply)
    app.action(ActionId.APPROVE_PROPOSAL)(approve)
    app.action(ActionId.EDIT_QUANTITIES)(edit)
    app.action(ActionId.REJECT_PROPOSAL)(reject)
    app.view(CallbackId.REJECT_PROPOSAL)(reject_submitted)
    app.view(CallbackId.EDIT_QUANTITIES)(edit_submitted)
    app.event("message")(thread_reply)
