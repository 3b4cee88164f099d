"""`/shift-gap report …` posts an open shift to the unit's channel; Claim asks staffing to award."""

import re
from dataclasses import dataclass
from datetime import date

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.messages import error_blocks, usage_blocks, usage_text
from bot.blocks.open_shift import (
    cancelled_text,
    claim_answer_blocks,
    claim_answer_text,
    confirm_answer_text,
    confirmed_text,
    open_shift_blocks,
    open_shift_text,
    parse_confirm_value,
    queued_claim_blocks,
    queued_claim_text,
)
from bot.clients import ServiceCallError, StaffingClient
from bot.commands.shift_gap import ShiftGapQuery, shift_gap_request
from bot.commands.words import SHIFT_WORDS, answer_refusal, parse_day
from bot.home import refresh_homes
from bot.ids import ActionId
from clinops.staffing.v1 import staffing_pb2

REPORT_USAGE = (
    "*Usage:* `/shift-gap report <unit> <role> [count] [day|night] [today|tomorrow|YYYY-MM-DD] "
    "[reason…]`\n"
    "• `/shift-gap report ICU RN night call-out` — one RN for tonight's night shift\n"
    "• `/shift-gap report 4W CNA 2 tomorrow day census rising`\n"
    "Roles: RN, LVN, CNA, clerk, tech. Only the unit's charge nurse or manager can report."
)
ROLES = {"rn": staffing_pb2.STAFF_ROLE_RN, "lvn": staffing_pb2.STAFF_ROLE_LVN,
         "cna": staffing_pb2.STAFF_ROLE_CNA, "clerk": staffing_pb2.STAFF_ROLE_UNIT_CLERK,
         "tech": staffing_pb2.STAFF_ROLE_SURGICAL_TECH}
_UNIT = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_&.-]{0,15}$")


@dataclass(frozen=True)
class GapReport:
    unit_id: str
    role: int
    slots: int = 1
    day: date | str | None = None
    shift: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class ReportUsage:
    problem: str | None = None


def parse_report(text: str) -> GapReport | ReportUsage:
    """`<unit> <role>`, then count, shift and day in any order, then the reason (all the rest)."""
    words = (text or "").split()
    if not words or words[0].lower() == "help":
        return ReportUsage()
    if len(words) < 2:
        return ReportUsage("Name the unit and the role, e.g. `/shift-gap report ICU RN`.")
    unit, role, rest = words[0], words[1], words[2:]
    if not _UNIT.match(unit):
        return ReportUsage(f"`{unit}` is not a unit id.")
    if role.lower() not in ROLES:
        return ReportUsage(f"`{role}` is not a role: use RN, LVN, CNA, clerk or tech.")
    slots, day, shift = None, None, None
    while rest:
        word = rest[0]
        try:
            when = parse_day(word)
        except ValueError as error:
            return ReportUsage(f"`{word}` is not a real date ({error}).")
        if word.isdigit() and slots is None:
            slots = int(word)
        elif word.lower() in SHIFT_WORDS and shift is None:
            shift = word.lower()
        elif when is not None and day is None:
            day = when
        else:
            break
        rest = rest[1:]
    if slots is not None and not 1 <= slots <= 20:
        return ReportUsage("Count must be 1-20.")
    return GapReport(unit.upper(), ROLES[role.lower()], slots or 1, day, shift, " ".join(rest))


def report_request(report: GapReport) -> staffing_pb2.ReportGapRequest:
    when = shift_gap_request(ShiftGapQuery(day=report.day, shift=report.shift))  # type: ignore[arg-type]
    request = staffing_pb2.ReportGapRequest(unit_id=report.unit_id, role=report.role,
                                            slots=report.slots, shift=when.shift,
                                            reason=report.reason)
    if when.HasField("day"):
        request.day.CopyFrom(when.day)
    return request


async def report_gap(text: str, respond: AsyncRespond, client: AsyncWebClient,
                     context: dict) -> None:
    """ReportGap (the open shift and its announcement) → "Posting to <#channel>…"."""
    parsed = parse_report(text)
    if isinstance(parsed, ReportUsage):
        await respond(response_type="ephemeral", blocks=usage_blocks(REPORT_USAGE, parsed.problem),
                      text=usage_text(REPORT_USAGE, parsed.problem))
        return
    staffing: StaffingClient = context["staffing"]
    try:
        opened = (await staffing.report_gap(report_request(parsed))).open_shift
    except ServiceCallError as error:
        await answer_refusal(error, respond)
        return
    # The post itself (Claim button, then its ts back to staffing) is the open_shift.posted
    # event ReportGap committed with the shift: it goes out even if this bot dies now.
    done = (f"Posting to <#{opened.slack_channel_id}>… {open_shift_text(opened)}"
            if opened.slack_channel_id else
            f"Recorded, but {opened.unit_id} has no Slack channel to post it in: "
            f"{open_shift_text(opened)}")
    await respond(response_type="ephemeral", text=done)


async def claim(ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond,
                client: AsyncWebClient, context: dict) -> None:
    """ack → ClaimOpenShift → the claimant's answer; an award updates the post and its thread."""
    await _claim(ack, action, respond, client, context, accept_overtime=False)


async def claim_with_overtime(ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond,
                              client: AsyncWebClient, context: dict) -> None:
    """The second click, after the overtime was shown: the same claim, overtime accepted."""
    await _claim(ack, action, respond, client, context, accept_overtime=True)


async def _claim(ack: AsyncAck, action: dict, respond: AsyncRespond, client: AsyncWebClient,
                 context: dict, *, accept_overtime: bool) -> None:
    await ack()
    staffing: StaffingClient = context["staffing"]
    try:
        answer = await staffing.claim_open_shift(action.get("value", ""),
                                                 accept_overtime=accept_overtime)
    except ServiceCallError as error:
        await answer_refusal(error, respond, in_place_of_click=True)
        return
    shift = answer.open_shift
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_AWARDED and shift.slack_message_ts:
        # The award's line in the thread comes from staffing's open_shift.awarded event
        # (bot/notifier), written with the award itself.
        await client.chat_update(channel=shift.slack_channel_id, ts=shift.slack_message_ts,
                                 blocks=open_shift_blocks(shift, in_channel=True),
                                 text=open_shift_text(shift))
    if answer.outcome == staffing_pb2.CLAIM_OUTCOME_QUEUED and shift.slack_message_ts:
        await client.chat_postMessage(channel=shift.slack_channel_id,
                                      thread_ts=shift.slack_message_ts,
                                      blocks=queued_claim_blocks(answer),
                                      text=queued_claim_text(answer.claimant,
                                                             answer.overtime_hours))
    # An overtime answer replaces itself when accepted; every other answer is a new message.
    await respond(response_type="ephemeral", replace_original=accept_overtime,
                  blocks=claim_answer_blocks(answer), text=claim_answer_text(answer))


async def confirm(ack: AsyncAck, action: dict, respond: AsyncRespond, client: AsyncWebClient,
                  context: dict) -> None:
    """ack → ConfirmClaim → award: parent updated, award in the thread, the queued post marked."""
    await ack()
    staffing: StaffingClient = context["staffing"]
    open_shift_id, staff_id = parse_confirm_value(action.get("value", ""))
    try:
        answer = await staffing.confirm_claim(open_shift_id, staff_id)
    except ServiceCallError as error:
        await answer_refusal(error, respond, in_place_of_click=True)
        return
    shift = answer.open_shift
    if answer.outcome != staffing_pb2.CLAIM_OUTCOME_AWARDED:
        text = confirm_answer_text(answer)
        await respond(response_type="ephemeral", replace_original=False,
                      blocks=error_blocks(text), text=text)
        return
    if shift.slack_message_ts:
        # The award's line in the thread: staffing's open_shift.awarded event (bot/notifier).
        await client.chat_update(channel=shift.slack_channel_id, ts=shift.slack_message_ts,
                                 blocks=open_shift_blocks(shift, in_channel=True),
                                 text=open_shift_text(shift))
    await respond(replace_original=True, text=confirmed_text(answer.claimant,
                                                             context.user_id or ""))
    await refresh_homes(context, client, context.user_id or "")  # the claim left their list


async def cancel(ack: AsyncAck, action: dict, respond: AsyncRespond, client: AsyncWebClient,
                 context: dict) -> None:
    """ack → CancelOpenShift (staffing checks who may) → parent shows it, a line in the thread."""
    await ack()
    staffing: StaffingClient = context["staffing"]
    try:
        answer = await staffing.cancel_open_shift(action.get("value", ""))
    except ServiceCallError as error:
        await answer_refusal(error, respond, in_place_of_click=True)
        return
    shift = answer.open_shift
    if not answer.cancelled:  # a second click: it was cancelled already, nothing to post
        text = f"This shift was already cancelled: {cancelled_text(shift)}."
        await respond(response_type="ephemeral", replace_original=False, text=text)
        return
    if shift.slack_message_ts:
        # The line in the thread is staffing's open_shift.cancelled event (bot/notifier).
        await client.chat_update(channel=shift.slack_channel_id, ts=shift.slack_message_ts,
                                 blocks=open_shift_blocks(shift, in_channel=True),
                                 text=open_shift_text(shift))


def register(app: AsyncApp) -> None:
    """Every open-shift listener: claim, overtime, confirm, candidates' offer, the report modal."""
    from bot.commands import fill, report_modal

    app.action(ActionId.CLAIM_OPEN_SHIFT)(claim)
    app.action(ActionId.CLAIM_WITH_OVERTIME)(claim_with_overtime)
    app.action(ActionId.CONFIRM_CLAIM)(confirm)
    app.action(ActionId.CANCEL_OPEN_SHIFT)(cancel)
    fill.register(app)
    report_modal.register(app)
