"""Supplies in Slack: what is short, a count's answer, the reorder proposal and its decisions."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import ActionId, BlockId, CallbackId
from clinops.supplies.v1 import supplies_pb2

# Slack allows 50 blocks a message; keep room for the header, totals and buttons.
MAX_LINES = 40
UNDECIDED = (supplies_pb2.PROPOSAL_STATE_OPEN, supplies_pb2.PROPOSAL_STATE_ESCALATED)
STATE_WORDS = {
    supplies_pb2.PROPOSAL_STATE_OPEN: "Open — waiting for an approver",
    supplies_pb2.PROPOSAL_STATE_ESCALATED: "Escalated",
    supplies_pb2.PROPOSAL_STATE_APPROVED: "Approved",
    supplies_pb2.PROPOSAL_STATE_REJECTED: "Rejected",
    supplies_pb2.PROPOSAL_STATE_WITHDRAWN: "Withdrawn — stock recovered before a decision",
}


# How long a rejection may hold, as offered in the reject modal; the service's default is a week.
SNOOZE_CHOICES = ((1, "1 day"), (3, "3 days"), (7, "7 days"), (14, "14 days"), (30, "30 days"))
DEFAULT_SNOOZE_DAYS = 7


def money(cents: int) -> str:
    """Cents as dollars: 52200 → '$522.00'."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def _who(actor) -> str:  # noqa: ANN001 - clinops.common.v1.Actor
    """A mention when Slack knows the person (so they are notified), else their name."""
    if actor.slack_user_id:
        name = f" ({actor.display_name})" if actor.display_name else ""
        return f"<@{actor.slack_user_id}>{name}"
    return actor.display_name or actor.staff_id or "someone"


def _named(actor) -> bool:  # noqa: ANN001 - clinops.common.v1.Actor
    return bool(actor.slack_user_id or actor.display_name or actor.staff_id)


def _when(stamp: Timestamp) -> str:
    moment = datetime.fromtimestamp(stamp.seconds, UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


# ---- /supply status ---------------------------------------------------------------------------

def stock_flags(level: supplies_pb2.StockLevel) -> str:
    """Why an item is listed, worst first: out of stock, at reorder point, below par."""
    flags = []
    if level.out_of_stock:
        flags.append("*OUT OF STOCK*")
    if level.at_or_below_reorder_point:
        flags.append("at or below reorder point")
    if level.below_par:
        flags.append("below par")
    return ", ".join(flags)


def stock_level_text(level: supplies_pb2.StockLevel) -> str:
    """One item's line: name, SKU, critical, on hand, on order, reorder point and par."""
    item = level.item
    mark = ":red_circle:" if level.out_of_stock else ":large_orange_circle:" \
        if level.at_or_below_reorder_point else ":white_circle:"
    critical = " · _critical_" if item.critical else ""
    return (
        f"{mark} *{item.name or level.sku}* ({level.sku}){critical}\n"
        f"on hand {level.on_hand} · on order {level.on_order} · reorder point "
        f"{level.reorder_point} · par {level.par} — {stock_flags(level)}"
    )


def stock_status_blocks(unit_id: str, levels: list[supplies_pb2.StockLevel]) -> list[Block]:
    """What is short on a unit, in the order the service gives (critical first)."""
    blocks: list[Block] = [
        HeaderBlock(block_id=BlockId.SUPPLY_STATUS_HEADER, text=f"Supplies short — {unit_id}")
    ]
    if not levels:
        blocks.append(SectionBlock(
            block_id=f"{BlockId.SUPPLY_STATUS_ITEM}.none",
            text=MarkdownTextObject(text=f"Nothing in {unit_id} is at or below its reorder "
                                         "point, below par or out of stock."),
        ))
        return blocks
    for index, level in enumerate(levels[:MAX_LINES]):
        blocks.append(SectionBlock(block_id=f"{BlockId.SUPPLY_STATUS_ITEM}.{index}",
                                   text=MarkdownTextObject(text=stock_level_text(level))))
    if len(levels) > MAX_LINES:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"…and {len(levels) - MAX_LINES} more.")]))
    return blocks


def stock_status_text(unit_id: str, levels: list[supplies_pb2.StockLevel]) -> str:
    out = sum(1 for level in levels if level.out_of_stock)
    return f"{unit_id}: {len(levels)} item(s) short, {out} out of stock"


# ---- /supply count ----------------------------------------------------------------------------

def count_text(response: supplies_pb2.RecordCountResponse, *, posted_in: str = "") -> str:
    """The counter's answer: the new level and, when it opened or extended one, the proposal."""
    level = response.stock_level
    text = (
        f"Counted *{level.item.name or level.sku}* ({level.sku}) in {level.unit_id}: "
        f"on hand {level.on_hand}, on order {level.on_order}, reorder point "
        f"{level.reorder_point}, par {level.par}."
    )
    if response.HasField("proposal"):
        proposal = response.proposal
        where = f" in <#{posted_in}>" if posted_in else ""
        if len(proposal.lines) > 1:
            text += (f"\nAdded to reorder proposal {proposal.proposal_id} "
                     f"({len(proposal.lines)} items, {money(proposal.total_cents)}){where}.")
        else:
            text += (f"\nThat is at or below the reorder point: opened reorder proposal "
                     f"{proposal.proposal_id} ({money(proposal.total_cents)}){where}.")
    return text


def count_blocks(response: supplies_pb2.RecordCountResponse, *, posted_in: str = ""
                 ) -> list[Block]:
    return [SectionBlock(block_id=BlockId.SUPPLY_COUNT,
                         text=MarkdownTextObject(text=count_text(response, posted_in=posted_in)))]


def receipt_text(received: supplies_pb2.ReceivePurchaseOrderResponse) -> str:
    """What a receipt moved into stock, line by line, with the unit's stock after it, and
    whether the order is now complete (an earlier partial delivery may have brought some)."""
    moved = [x for x in received.lines if x.quantity]
    lines = "\n".join(
        f"• *{x.name or x.sku}* ({x.sku}): +{x.quantity} on hand → {x.on_hand} on hand, "
        f"{x.on_order} on order" for x in moved)
    left = sum(x.outstanding for x in received.lines)
    state = "now fully received" if not left else f"still expecting {left}"
    return (f"Received {received.purchase_order_id} into {received.unit_id} "
            f"({len(moved)} line{'s' if len(moved) != 1 else ''}):\n{lines}\n"
            f"{received.purchase_order_id} is {state}.")


def receipt_blocks(received: supplies_pb2.ReceivePurchaseOrderResponse) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=receipt_text(received)))]


# ---- the proposal in the unit channel ---------------------------------------------------------

def figures_text(line: supplies_pb2.ProposalLine) -> str:
    """The figures behind a line, so a manager can see why: d, σ, L, z, SS, ROP, position, par."""
    f = line.figures
    if f.fixed:
        basis = "fixed reorder point"
    else:
        lead = f"L {f.lead_time_days:g} d" + (
            f" (σ {f.lead_time_stddev_days:g} d)" if f.lead_time_stddev_days else "")
        basis = (f"d {f.daily_demand_mean:.1f}/day · σ {f.daily_demand_stddev:.1f} · {lead} · "
                 f"z {f.z:.3f} · SS {f.safety_stock:.1f}")
    return f"{basis} · ROP {line.reorder_point} · position {line.inventory_position} · " \
        f"par {line.par}"


def proposal_line_text(line: supplies_pb2.ProposalLine) -> str:
    """Item, quantity in whole packs, line cost, then the figures."""
    pack = max(line.pack_size, 1)
    packs = f" ({line.quantity // pack} × {pack})" if pack > 1 else ""
    return (f"*{line.item_name or line.sku}* ({line.sku}): {line.quantity}{packs} · "
            f"{money(line.line_cost_cents)}\n_{figures_text(line)}_")


def budget_text(proposal: supplies_pb2.Proposal) -> str:
    """Total, and the unit's month-to-date spend against its monthly budget."""
    spent, budget = proposal.month_to_date_spend_cents, proposal.monthly_budget_cents
    text = f"*Total {money(proposal.total_cents)}*"
    if budget:
        text += f" · month to date {money(spent)} of {money(budget)} budget"
        # Once approved, the order is already in the month's spend.
        if proposal.state in UNDECIDED:
            after = spent + proposal.total_cents
            text += f" ({money(after)} with this order, {after * 100 // budget}%)"
        else:
            text += f" ({spent * 100 // budget}%)"

    return text


def proposal_state_text(proposal: supplies_pb2.Proposal) -> str:
    """Where the proposal stands: who decided, when, and the order or the reason."""
    state = proposal.state
    text = f"*{STATE_WORDS.get(state, 'Unknown state')}*"
    if state == supplies_pb2.PROPOSAL_STATE_ESCALATED and proposal.HasField("escalated_to"):
        text += f" to {_who(proposal.escalated_to)}, above "
        text += f"{_who(proposal.decided_by)}'s limit" if _named(proposal.decided_by) \
            else "the first approver's limit"
    elif state in (supplies_pb2.PROPOSAL_STATE_APPROVED, supplies_pb2.PROPOSAL_STATE_REJECTED):
        text += f" by {_who(proposal.decided_by)}"
        if proposal.HasField("decided_at"):
            text += f" at {_when(proposal.decided_at)}"
    if proposal.purchase_order_id:
        text += f" · purchase order {proposal.purchase_order_id}"
    if proposal.rejection_reason:
        text += f"\nReason: {proposal.rejection_reason}"
    if state == supplies_pb2.PROPOSAL_STATE_REJECTED and proposal.HasField("held_until"):
        text += f"\n{held_text(proposal)}"
    return text


def held_text(proposal: supplies_pb2.Proposal) -> str:
    """What a rejection holds off: no new proposal for these items while their count stands."""
    return (f"I won't propose these items again until the count changes or until "
            f"{_when(proposal.held_until)}.")


def proposal_blocks(proposal: supplies_pb2.Proposal) -> list[Block]:
    """The unit channel's message: lines with figures, total vs budget, state, and the buttons."""
    blocks: list[Block] = [
        HeaderBlock(block_id=BlockId.PROPOSAL_HEADER,
                    text=f"Reorder proposal {proposal.proposal_id} — {proposal.unit_id}"),
    ]
    for index, line in enumerate(proposal.lines[:MAX_LINES]):
        blocks.append(SectionBlock(block_id=f"{BlockId.PROPOSAL_LINE}.{index}",
                                   text=MarkdownTextObject(text=proposal_line_text(line))))
    if len(proposal.lines) > MAX_LINES:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"…and {len(proposal.lines) - MAX_LINES} more lines.")]))
    blocks += [
        DividerBlock(),
        SectionBlock(block_id=BlockId.PROPOSAL_TOTAL,
                     text=MarkdownTextObject(text=budget_text(proposal))),
        SectionBlock(block_id=BlockId.PROPOSAL_STATE,
                     text=MarkdownTextObject(text=proposal_state_text(proposal))),
    ]
    if proposal.state in UNDECIDED:
        blocks.append(ActionsBlock(block_id=BlockId.PROPOSAL_ACTIONS, elements=[
            ButtonElement(text="Approve", action_id=ActionId.APPROVE_PROPOSAL,
                          value=proposal.proposal_id, style="primary"),
            ButtonElement(text="Edit quantities", action_id=ActionId.EDIT_QUANTITIES,
                          value=proposal.proposal_id),
            ButtonElement(text="Reject", action_id=ActionId.REJECT_PROPOSAL,
                          value=proposal.proposal_id, style="danger"),
        ]))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text="Approvers can also reply in this thread: `approve` or "
                 "`reject &lt;reason&gt;`.")]))
    return blocks


def proposal_text(proposal: supplies_pb2.Proposal) -> str:
    """The notification fallback."""
    state = STATE_WORDS.get(proposal.state, "").split(" —")[0].lower()
    return (f"Reorder proposal {proposal.proposal_id} for {proposal.unit_id}: "
            f"{len(proposal.lines)} item(s), {money(proposal.total_cents)} — {state}")


def decision_text(proposal: supplies_pb2.Proposal) -> str:
    """The thread's record of a decision: who, what, when, and who is asked next."""
    state = proposal.state
    who = _who(proposal.decided_by)
    when = f" at {_when(proposal.decided_at)}" if proposal.HasField("decided_at") else ""
    if state == supplies_pb2.PROPOSAL_STATE_APPROVED:
        order = f"; purchase order {proposal.purchase_order_id}" \
            if proposal.purchase_order_id else ""
        return f":white_check_mark: Approved by {who}{when} — {money(proposal.total_cents)}" \
            f"{order}."
    if state == supplies_pb2.PROPOSAL_STATE_REJECTED:
        held = f"\n{held_text(proposal)}" if proposal.HasField("held_until") else ""
        return f":x: Rejected by {who}{when}. Reason: {proposal.rejection_reason}{held}"
    if state == supplies_pb2.PROPOSAL_STATE_ESCALATED:
        clicker = who if _named(proposal.decided_by) else "An approver"
        return (f":arrow_up: {clicker} approved{when}, but {money(proposal.total_cents)} is "
                f"above their limit: escalated to {_who(proposal.escalated_to)} to decide.")
    return f"{proposal.proposal_id}: {STATE_WORDS.get(state, 'updated')}."


# ---- reject with a reason ---------------------------------------------------------------------

def reject_modal(proposal_id: str) -> View:
    """A modal asking for the reason, which the service requires, and how long the rejection
    holds; carries the proposal id."""
    snooze_options = [Option(value=str(days), text=label) for days, label in SNOOZE_CHOICES]
    return View(
        type="modal",
        callback_id=CallbackId.REJECT_PROPOSAL,
        private_metadata=proposal_id,
        title=PlainTextObject(text=f"Reject {proposal_id}"[:24]),
        submit=PlainTextObject(text="Reject"),
        close=PlainTextObject(text="Cancel"),
        blocks=[InputBlock(
            block_id=BlockId.REJECT_REASON,
            label=PlainTextObject(text="Reason (posted in the proposal's thread)"),
            element=PlainTextInputElement(action_id=ActionId.REJECT_REASON_INPUT,
                                          multiline=True, max_length=500),
        ), InputBlock(
            block_id=BlockId.REJECT_SNOOZE,
            label=PlainTextObject(text="Don't propose these items again for"),
            hint=PlainTextObject(text="Unless a count or a delivery changes their stock first."),
            element=StaticSelectElement(
                action_id=ActionId.REJECT_SNOOZE_INPUT, options=snooze_options,
                initial_option=next(o for o in snooze_options
                                    if o.value == str(DEFAULT_SNOOZE_DAYS))),
        )],
    )


# ---- edit quantities ----------------------------------------------------------------------------

def edit_block_id(sku: str) -> str:
    """The modal block of one line: the SKU rides in the id, so a field error lands beside it."""
    return f"{BlockId.EDIT_QUANTITY}.{sku}"


def edit_modal(proposal: supplies_pb2.Proposal) -> View:
    """One whole-number input per line, filled with today's quantity; carries the proposal id."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(
        text=f"Quantities in items ({proposal.unit_id}); the service rounds each up to whole "
             "packs. 0 drops a line from the order."))]
    for line in proposal.lines[:MAX_LINES]:
        pack = max(line.pack_size, 1)
        packs = f", packs of {pack}" if pack > 1 else ""
        blocks.append(InputBlock(
            block_id=edit_block_id(line.sku),
            label=PlainTextObject(text=f"{line.item_name or line.sku} ({line.sku}{packs})"[:2000]),
            element=NumberInputElement(action_id=ActionId.EDIT_QUANTITY_INPUT,
                                       is_decimal_allowed=False, initial_value=line.quantity,
                                       min_value=0),
            hint=PlainTextObject(text=f"Proposed {line.quantity} · reorder point "
                                      f"{line.reorder_point} · position {line.inventory_position}"
                                      f" · par {line.par}"),
        ))
    return View(
        type="modal",
        callback_id=CallbackId.EDIT_QUANTITIES,
        private_metadata=proposal.proposal_id,
        title=PlainTextObject(text=f"Edit {proposal.proposal_id}"[:24]),
        submit=PlainTextObject(text="Save quantities"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )


def edited_text(proposal: supplies_pb2.Proposal, editor_user_id: str,
                skus: list[str] | tuple[str, ...] = ()) -> str:
    """The thread's record of an edit: who, the new quantities, the new total."""
    shown = [line for line in proposal.lines if not skus or line.sku in skus]
    changes = ", ".join(f"{line.sku} {line.quantity}" for line in shown)
    return (f":pencil2: Quantities edited by <@{editor_user_id}>: {changes}. New total "
            f"{money(proposal.total_cents)}.")


THREAD_USAGE = ("To decide in this thread, reply `approve`, or `reject &lt;reason&gt;` — e.g. "
                "`reject central supply is sending a cart`.")
