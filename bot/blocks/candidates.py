"""`/shift-gap fill`: eligible candidates, cheapest first, each with an Offer button; the DM."""

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.open_shift import ROLE_NAMES, confirm_value, open_shift_blocks, window_words
from bot.ids import ActionId, BlockId
from clinops.staffing.v1 import staffing_pb2

# The proto's cost tiers (staffing.v1.Candidate.cost_tier), cheapest first.
TIER_NAMES = {0: "unit staff", 1: "float pool", 2: "per diem", 3: "overtime", 4: "agency"}
MAX_SHOWN = 15  # a message holds 50 blocks; a charge nurse reads the first few anyway


def _hours(value: float) -> str:
    return f"{value:g} h"


def candidate_line(candidate: staffing_pb2.Candidate) -> str:
    """'*Sarah Whitman* — unit staff · 24 h this week · 12 h rest before'."""
    tier = TIER_NAMES.get(candidate.cost_tier, "other")
    if candidate.overtime_hours > 0:
        tier += f" ({_hours(candidate.overtime_hours)})"
    rest = (f"{_hours(candidate.rest_hours_before)} rest before" if candidate.rest_hours_before
            else "no shift in the 2 days before")
    return (f"*{candidate.staff_member.display_name}* — {tier} · "
            f"{_hours(candidate.hours_this_week)} this week · {rest}")


def _open_shift_line(shift: staffing_pb2.OpenShift) -> str:
    role = ROLE_NAMES.get(shift.role, "staff")
    return f"{shift.slots - shift.slots_filled} of {shift.slots} {role} open"


def no_open_shift_text(response: staffing_pb2.ListCandidatesResponse) -> str:
    unit = response.unit.unit_id
    return (f"No open shift on {unit} for {window_words(response.window)}. To report one: "
            f"`/shift-gap report {unit} RN [count] [day|night] [date] [reason]`.")


def candidates_text(response: staffing_pb2.ListCandidatesResponse) -> str:
    if not response.open_shifts:
        return no_open_shift_text(response)
    return (f"{len(response.candidates)} eligible for {response.unit.unit_id} "
            f"{window_words(response.window)}")


def candidates_blocks(response: staffing_pb2.ListCandidatesResponse) -> list[Block]:
    """Header, what is open, then each candidate (cheapest first) with an Offer button."""
    if not response.open_shifts:
        return [SectionBlock(block_id=BlockId.CANDIDATES_HEADER,
                             text=MarkdownTextObject(text=no_open_shift_text(response)))]
    unit = response.unit.unit_id
    blocks: list[Block] = [
        HeaderBlock(block_id=BlockId.CANDIDATES_HEADER, text=f"Candidates — {unit}"),
        SectionBlock(text=MarkdownTextObject(
            text=f"{window_words(response.window)} · "
                 + "; ".join(_open_shift_line(s) for s in response.open_shifts))),
    ]
    if not response.candidates:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text="Nobody eligible is free for this shift.")))
    for index, candidate in enumerate(response.candidates[:MAX_SHOWN]):
        blocks.append(SectionBlock(
            block_id=f"{BlockId.CANDIDATE}.{index}",
            text=MarkdownTextObject(text=candidate_line(candidate)),
            accessory=ButtonElement(
                text="Offer", action_id=ActionId.OFFER_OPEN_SHIFT,
                value=confirm_value(candidate.open_shift_id, candidate.staff_member.staff_id)),
        ))
    hidden = len(response.candidates) - MAX_SHOWN
    footer = "Cheapest first: unit staff → float pool → per diem → overtime → agency."
    if hidden > 0:
        footer += f" {hidden} more not shown."
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    return blocks


def offer_text(shift: staffing_pb2.OpenShift, offered_by: str) -> str:
    role = ROLE_NAMES.get(shift.role, "staff")
    return (f"<@{offered_by}> offers you an open {role} shift on {shift.unit_id}: "
            f"{window_words(shift.window)}. Claim it below if you can take it.")


def offer_blocks(shift: staffing_pb2.OpenShift, offered_by: str) -> list[Block]:
    """The DM: who offers what, then the open shift itself with its Claim button."""
    return [SectionBlock(text=MarkdownTextObject(text=offer_text(shift, offered_by))),
            *open_shift_blocks(shift)]
