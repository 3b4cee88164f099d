"""The open-shift message in the unit's channel, and the answers to a claim."""

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ids import ActionId, BlockId
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2

# Shift hours are facility time by definition (clinops.common.v1.Shift).
SHIFT_HOURS = {common_pb2.SHIFT_DAY: ("Day shift", "07:00–19:00"),
               common_pb2.SHIFT_NIGHT: ("Night shift", "19:00–07:00")}
ROLE_NAMES = {staffing_pb2.STAFF_ROLE_RN: "RN", staffing_pb2.STAFF_ROLE_LVN: "LVN",
              staffing_pb2.STAFF_ROLE_CNA: "CNA", staffing_pb2.STAFF_ROLE_UNIT_CLERK: "Unit clerk",
              staffing_pb2.STAFF_ROLE_SURGICAL_TECH: "Surgical tech"}


def window_words(window: common_pb2.ShiftWindow) -> str:
    """'Night shift 2026-11-27, 19:00–07:00' (facility time)."""
    name, hours = SHIFT_HOURS.get(window.shift, ("Shift", ""))
    day = window.date
    return f"{name} {day.year:04d}-{day.month:02d}-{day.day:02d}, {hours}"


def open_shift_text(shift: staffing_pb2.OpenShift) -> str:
    """The notification fallback and the one-line summary used in replies."""
    role = ROLE_NAMES.get(shift.role, "staff")
    return (f"Open shift {shift.unit_id}: {shift.slots - shift.slots_filled} of {shift.slots} "
            f"{role} — {window_words(shift.window)}")


def open_shift_blocks(shift: staffing_pb2.OpenShift) -> list[Block]:
    """Unit, window, role, how many, why, who has it so far, and a Claim button while open."""
    role = ROLE_NAMES.get(shift.role, "staff")
    left = shift.slots - shift.slots_filled
    blocks: list[Block] = [
        HeaderBlock(block_id=BlockId.OPEN_SHIFT_HEADER, text=f"Open shift — {shift.unit_id}"),
        SectionBlock(
            block_id=BlockId.OPEN_SHIFT_DETAIL,
            fields=[
                MarkdownTextObject(text=f"*Shift*\n{window_words(shift.window)} facility time"),
                MarkdownTextObject(text=f"*Role*\n{role}"),
                MarkdownTextObject(text=f"*Needed*\n{left} of {shift.slots}"),
                MarkdownTextObject(text=f"*Why*\n{shift.reason or 'not given'}"),
            ],
        ),
    ]
    if shift.awarded_display_names:
        blocks.append(SectionBlock(
            block_id=BlockId.OPEN_SHIFT_STATUS,
            text=MarkdownTextObject(text="*Filled by* " + ", ".join(shift.awarded_display_names)),
        ))
    if shift.state == staffing_pb2.OPEN_SHIFT_STATE_OPEN and left > 0:
        blocks.append(ActionsBlock(block_id=BlockId.OPEN_SHIFT_CLAIM, elements=[
            ButtonElement(text="Claim", action_id=ActionId.CLAIM_OPEN_SHIFT,
                          value=shift.open_shift_id, style="primary"),
        ]))
    else:
        state = "Filled" if shift.state == staffing_pb2.OPEN_SHIFT_STATE_FILLED else "Closed"
        blocks.append(ContextBlock(
            block_id=BlockId.OPEN_SHIFT_STATUS + ".state",
            elements=[MarkdownTextObject(text=f":white_check_mark: {state}")],
        ))
    return blocks


def claim_answer_text(answer: staffing_pb2.ClaimOpenShiftResponse) -> str:
    """What the claimant reads: awarded, queued, already filled, or every failing rule."""
    shift = answer.open_shift
    where = f"{shift.unit_id} {window_words(shift.window)}"
    overtime = (f" ({answer.overtime_hours:g} h of it overtime)"
                if answer.overtime_hours > 0 else "")
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_AWARDED:
        return f":white_check_mark: The shift is yours: {where}{overtime}."
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_QUEUED:
        return (f"Your claim for {where} is queued for the charge nurse or manager to "
                f"confirm{overtime}.")
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_ALREADY_FILLED:
        return f"Sorry — {where} is already filled."
    failed = [f.explanation or f.rule for f in answer.findings if not f.passed]
    reasons = "\n".join(f"• {reason}" for reason in failed) or "• no reason given"
    return f":x: You can't take {where}:\n{reasons}"


def claim_answer_blocks(answer: staffing_pb2.ClaimOpenShiftResponse) -> list[Block]:
    return [SectionBlock(block_id=BlockId.CLAIM_ANSWER,
                         text=MarkdownTextObject(text=claim_answer_text(answer)))]


def award_thread_text(answer: staffing_pb2.ClaimOpenShiftResponse, slack_user_id: str) -> str:
    """Posted in the open shift's thread when a slot is awarded."""
    shift = answer.open_shift
    name = answer.claimant.display_name or "a nurse"
    return (f"Awarded to {name} (<@{slack_user_id}>) — {shift.slots_filled} of {shift.slots} "
            f"filled.")
