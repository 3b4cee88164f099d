"""`/shift-gap fill <unit> [day|night] [date]`: eligible candidates, cheapest first; Offer."""

import re
from dataclasses import dataclass
from datetime import date

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.candidates import candidates_blocks, candidates_text, offer_blocks, offer_text
from bot.blocks.messages import usage_blocks, usage_text
from bot.blocks.open_shift import parse_confirm_value
from bot.clients import ServiceCallError, StaffingClient
from bot.commands.shift_gap import ShiftGapQuery, shift_gap_request
from bot.commands.words import SHIFT_WORDS, answer_refusal, parse_day
from bot.ids import ActionId
from clinops.staffing.v1 import staffing_pb2

FILL_USAGE = (
    "*Usage:* `/shift-gap fill <unit> [day|night] [today|tomorrow|YYYY-MM-DD]`\n"
    "• `/shift-gap fill ICU tomorrow night` — who could take the ICU's open shift, cheapest "
    "first, each with an Offer button\n"
    "Only the unit's charge nurse or manager can see candidates."
)
_UNIT = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_&.-]{0,15}$")


@dataclass(frozen=True)
class FillQuery:
    unit_id: str
    day: date | str | None = None
    shift: str | None = None


@dataclass(frozen=True)
class FillUsage:
    problem: str | None = None


def parse_fill(text: str) -> FillQuery | FillUsage:
    """One unit, then an optional shift and day in any order."""
    words = (text or "").split()
    if not words or words[0].lower() == "help":
        return FillUsage()
    unit, day, shift = None, None, None
    for word in words:
        try:
            when = parse_day(word)
        except ValueError as error:
            return FillUsage(f"`{word}` is not a real date ({error}).")
        if when is not None:
            if day is not None:
                return FillUsage("Give one day.")
            day = when
        elif word.lower() in SHIFT_WORDS:
            if shift is not None:
                return FillUsage("Give one shift, `day` or `night`.")
            shift = word.lower()
        elif _UNIT.match(word) and unit is None:
            unit = word.upper()
        else:
            return FillUsage(f"I don't understand `{word}`.")
    if unit is None:
        return FillUsage("Name the unit, e.g. `/shift-gap fill ICU`.")
    return FillQuery(unit, day, shift)


def candidates_request(query: FillQuery) -> staffing_pb2.ListCandidatesRequest:
    when = shift_gap_request(ShiftGapQuery(day=query.day, shift=query.shift))  # type: ignore[arg-type]
    request = staffing_pb2.ListCandidatesRequest(unit_id=query.unit_id, shift=when.shift)
    if when.HasField("day"):
        request.day.CopyFrom(when.day)
    return request


async def fill(text: str, respond: AsyncRespond, context: dict) -> None:
    """ListCandidates → ranked candidates with Offer buttons, or no open shift and how to report."""
    parsed = parse_fill(text)
    if isinstance(parsed, FillUsage):
        await respond(response_type="ephemeral", blocks=usage_blocks(FILL_USAGE, parsed.problem),
                      text=usage_text(FILL_USAGE, parsed.problem))
        return
    staffing: StaffingClient = context["staffing"]
    try:
        response = await staffing.list_candidates(candidates_request(parsed))
    except ServiceCallError as error:
        await answer_refusal(error, respond)
        return
    await respond(response_type="ephemeral", blocks=candidates_blocks(response),
                  text=candidates_text(response))


async def offer(ack: AsyncAck, action: dict, respond: AsyncRespond, client: AsyncWebClient,
                context: dict) -> None:
    """ack → OfferOpenShift → a DM to that person with the open shift's Claim button."""
    await ack()
    staffing: StaffingClient = context["staffing"]
    open_shift_id, staff_id = parse_confirm_value(action.get("value", ""))
    try:
        answer = await staffing.offer_open_shift(open_shift_id, staff_id)
    except ServiceCallError as error:
        await answer_refusal(error, respond, in_place_of_click=True)
        return
    person, shift = answer.staff_member, answer.open_shift
    opened = await client.conversations_open(users=person.slack_user_id)
    offered_by = context.user_id or ""
    await client.chat_postMessage(channel=opened["channel"]["id"],
                                  blocks=offer_blocks(shift, offered_by),
                                  text=offer_text(shift, offered_by))
    done = f"Offered to {person.display_name} by direct message."
    await respond(response_type="ephemeral", replace_original=False, text=done)


def register(app: AsyncApp) -> None:
    app.action(ActionId.OFFER_OPEN_SHIFT)(offer)
