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


def open_shift_blocks(shift: staffing_pb2.OpenShift, *, in_channel: bool = False) -> list[Block]:
    """Unit, window, role, how many, why, who has it so far, and a Claim button while open.

    In the unit's channel it also carries Cancel, for the charge nurse or manager (staffing
    refuses anyone else); a DM offering the shift does not.
    """
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
    if shift.state == staffing_pb2.OPEN_SHIFT_STATE_CANCELLED:
        blocks.append(ContextBlock(
            block_id=BlockId.OPEN_SHIFT_STATUS + ".state",
            elements=[MarkdownTextObject(text=f":x: {cancelled_text(shift)}")],
        ))
    elif shift.state == staffing_pb2.OPEN_SHIFT_STATE_OPEN and left > 0:
        buttons = [ButtonElement(text="Claim", action_id=ActionId.CLAIM_OPEN_SHIFT,
                                 value=shift.open_shift_id, style="primary")]
        if in_channel:
            buttons.append(ButtonElement(text="Cancel", action_id=ActionId.CANCEL_OPEN_SHIFT,
                                         value=shift.open_shift_id))
        blocks.append(ActionsBlock(block_id=BlockId.OPEN_SHIFT_CLAIM, elements=buttons))
    else:
        state = "Filled" if shift.state == staffing_pb2.OPEN_SHIFT_STATE_FILLED else "Closed"
        blocks.append(ContextBlock(
            block_id=BlockId.OPEN_SHIFT_STATUS + ".state",
            elements=[MarkdownTextObject(text=f":white_check_mark: {state}")],
        ))
    return blocks


def cancelled_text(shift: staffing_pb2.OpenShift) -> str:
    """'Cancelled by <@U0ICU002> (Maya Chen) at 2026-11-26 18:05 UTC'."""
    who = shift.cancelled_by_display_name or "the charge nurse"
    if shift.cancelled_by_slack_user_id:
        who = f"<@{shift.cancelled_by_slack_user_id}>" + (
            f" ({shift.cancelled_by_display_name})" if shift.cancelled_by_display_name else "")
    when = ""
    if shift.HasField("cancelled_at"):
        when = f" at {shift.cancelled_at.ToDatetime():%Y-%m-%d %H:%M} UTC"
    return f"Cancelled by {who}{when}"


def cancel_thread_text(shift: staffing_pb2.OpenShift) -> str:
    """Posted in the open shift's thread when it is cancelled."""
    names = list(shift.awarded_display_names)
    kept = f" Already awarded, and kept: {', '.join(names)}." if names else ""
    return f":x: {cancelled_text(shift)} — no more claims, escalation stopped.{kept}"


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
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_CANCELLED:
        return f"Sorry — {where} was cancelled by the charge nurse; it is no longer open."
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_OVERTIME_NOT_ACCEPTED:
        return overtime_text(answer.overtime_hours, answer.hours_this_week)
    failed = [f.explanation or f.rule for f in answer.findings if not f.passed]
    reasons = "\n".join(f"• {reason}" for reason in failed) or "• no reason given"
    return f":x: You can't take {where}:\n{reasons}"


def overtime_text(overtime_hours: float, hours_this_week: float) -> str:
    """'This shift would be 4 h overtime (44 h this week)'."""
    return (f":warning: This shift would be {overtime_hours:g} h overtime "
            f"({hours_this_week:g} h this week).")


def claim_answer_blocks(answer: staffing_pb2.ClaimOpenShiftResponse) -> list[Block]:
    """The claimant's answer; overtime comes with the one button that accepts it."""
    blocks: list[Block] = [SectionBlock(block_id=BlockId.CLAIM_ANSWER,
                                        text=MarkdownTextObject(text=claim_answer_text(answer)))]
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_OVERTIME_NOT_ACCEPTED:
        blocks.append(ActionsBlock(block_id=BlockId.OPEN_SHIFT_CLAIM, elements=[
            ButtonElement(text="Claim with overtime", action_id=ActionId.CLAIM_WITH_OVERTIME,
                          value=answer.open_shift.open_shift_id),
        ]))
    return blocks


def award_thread_text(answer: staffing_pb2.ClaimOpenShiftResponse, slack_user_id: str) -> str:
    """Posted in the open shift's thread when a slot is awarded."""
    return awarded_text(answer.open_shift, answer.claimant.display_name, slack_user_id)


def awarded_text(shift: staffing_pb2.OpenShift, name: str, slack_user_id: str) -> str:
    mention = f" (<@{slack_user_id}>)" if slack_user_id else ""
    return (f"Awarded to {name or 'a nurse'}{mention} — {shift.slots_filled} of {shift.slots} "
            "filled.")


def confirm_value(open_shift_id: str, staff_id: str) -> str:
    """The Confirm (and Offer) button's value: which shift, whose claim."""
    return f"{open_shift_id}:{staff_id}"


def parse_confirm_value(value: str) -> tuple[str, str]:
    open_shift_id, _, staff_id = (value or "").partition(":")
    return open_shift_id, staff_id


def queued_claim_text(claimant: staffing_pb2.StaffMember, overtime_hours: float = 0.0) -> str:
    overtime = f" ({overtime_hours:g} h overtime, accepted)" if overtime_hours > 0 else ""
    return f"Claim from {claimant.display_name}{overtime} — waiting for the charge nurse"


def queued_claim_blocks(answer: staffing_pb2.ClaimOpenShiftResponse) -> list[Block]:
    """Posted in the open shift's thread: the claim and the charge nurse's Confirm button."""
    claimant = answer.claimant
    return [
        SectionBlock(block_id=BlockId.CLAIM_QUEUED, text=MarkdownTextObject(
            text=queued_claim_text(claimant, answer.overtime_hours))),
        ActionsBlock(block_id=BlockId.OPEN_SHIFT_CLAIM, elements=[
            ButtonElement(text="Confirm", action_id=ActionId.CONFIRM_CLAIM, style="primary",
                          value=confirm_value(answer.open_shift.open_shift_id,
                                              claimant.staff_id)),
        ]),
    ]


def confirmed_text(claimant: staffing_pb2.StaffMember, confirmed_by: str) -> str:
    """Replaces the queued claim in the thread once the charge nurse has confirmed it."""
    return f":white_check_mark: Claim from {claimant.display_name} — confirmed by <@{confirmed_by}>"


def confirm_answer_text(answer: staffing_pb2.ConfirmClaimResponse) -> str:
    """What the charge nurse reads when a confirm did not award."""
    shift = answer.open_shift
    where = f"{shift.unit_id} {window_words(shift.window)}"
    name = answer.claimant.display_name or "this nurse"
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_ALREADY_FILLED:
        return f"{where} is already filled: {name}'s claim cannot be confirmed."
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_CANCELLED:
        return f"{where} was cancelled: {name}'s claim cannot be confirmed."
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_AWARDED:
        return f":white_check_mark: {name} has {where}."
    failed = [f.explanation or f.rule for f in answer.findings if not f.passed]
    reasons = "\n".join(f"• {reason}" for reason in failed) or "• no reason given"
    return f":x: {name} can no longer take {where}:\n{reasons}"
