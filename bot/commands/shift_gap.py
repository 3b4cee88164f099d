"""`/shift-gap [unit] [today|tomorrow|YYYY-MM-DD] [day|night]`: is this shift staffed to ratio?"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

import grpc
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.messages import (
    unknown_unit_blocks,
    unknown_unit_text,
    usage_blocks,
    usage_text,
)
from bot.blocks.shift_gap import shift_gap_blocks, shift_gap_text
from bot.clients import ServiceCallError, StaffingClient
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2

COMMAND = "/shift-gap"
USAGE = (
    "*Usage:* `/shift-gap [unit] [today|tomorrow|YYYY-MM-DD] [day|night]`\n"
    "• `/shift-gap` — your home unit, the shift in progress\n"
    "• `/shift-gap ICU tomorrow night` — words in any order\n"
    "• `/shift-gap 4W 2026-12-24 day`\n"
    "• `/shift-gap report <unit> <role> [count] [day|night] [date] [reason…]` — post an open "
    "shift (`/shift-gap report` alone opens a form)\n"
    "• `/shift-gap fill <unit> [day|night] [date]` — eligible candidates, cheapest first"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")

Relative = Literal["today", "tomorrow"]


@dataclass(frozen=True)
class ShiftGapQuery:
    """What the nurse asked for; None means "not said" and the service decides."""

    unit_id: str | None = None
    day: date | Relative | None = None
    shift: Literal["day", "night"] | None = None


@dataclass(frozen=True)
class ShiftGapUsage:
    """Show the usage; `problem` says what was wrong with the input, if anything."""

    problem: str | None = None


def parse_shift_gap(text: str) -> ShiftGapQuery | ShiftGapUsage:
    """Parse the command's text; tokens in any order, case-insensitive."""
    unit_id: str | None = None
    day: date | Relative | None = None
    shift: Literal["day", "night"] | None = None
    for token in (text or "").split():
        word = token.lower()
        if word == "help":
            return ShiftGapUsage()
        if word in ("today", "tomorrow"):
            if day is not None:
                return ShiftGapUsage(f"Give one day, not both `{day}` and `{token}`.")
            day = word  # type: ignore[assignment]
        elif word in ("day", "night"):
            if shift is not None:
                return ShiftGapUsage(f"Give one shift, not both `{shift}` and `{token}`.")
            shift = word  # type: ignore[assignment]
        elif _DATE.match(word):
            if day is not None:
                return ShiftGapUsage(f"Give one day, not both `{day}` and `{token}`.")
            try:
                day = date.fromisoformat(word)
            except ValueError as error:
                return ShiftGapUsage(f"`{token}` is not a real date ({error}).")
        elif _UNIT.match(token):
            if unit_id is not None:
                return ShiftGapUsage(f"Give one unit, not both `{unit_id}` and `{token.upper()}`.")
            unit_id = token.upper()
        else:
            return ShiftGapUsage(f"I don't understand `{token}`.")
    return ShiftGapQuery(unit_id=unit_id, day=day, shift=shift)


def shift_gap_request(query: ShiftGapQuery) -> staffing_pb2.GetShiftGapsRequest:
    """The RPC request for a parsed query; relative days are resolved by the service."""
    request = staffing_pb2.GetShiftGapsRequest(unit_id=query.unit_id or "")
    if query.day == "today":
        request.day.relative = common_pb2.RELATIVE_DAY_TODAY
    elif query.day == "tomorrow":
        request.day.relative = common_pb2.RELATIVE_DAY_TOMORROW
    elif isinstance(query.day, date):
        request.day.date.year = query.day.year
        request.day.date.month = query.day.month
        request.day.date.day = query.day.day
    if query.shift == "day":
        request.shift = common_pb2.SHIFT_DAY
    elif query.shift == "night":
        request.shift = common_pb2.SHIFT_NIGHT
    return request


async def shift_gap(
    ack: AsyncAck, command: dict, respond: AsyncRespond, context: dict, client: AsyncWebClient
) -> None:
    """GetShiftGaps → blocks → the ephemeral answer in the ack itself.

    Slack shows a message in a slash command's ack as it shows an ephemeral reply at the
    response_url. With process_before_response Slack's 3 s already cover the whole listener,
    so answering in the ack is no later, and spares a second HTTP request per command (about a
    third of the bot's CPU per /shift-gap in bench/). Failures the nurse cannot fix still go to
    the error handler, which answers at the response_url.
    """
    text = command.get("text", "") or ""
    first, _, rest = text.strip().partition(" ")
    if first.lower() == "report":
        await ack()
        # Imported here: open_shift reuses this module's day and shift words.
        from bot.commands.open_shift import report_gap
        from bot.commands.report_modal import open_report_modal

        if not rest.strip():
            await open_report_modal(command.get("trigger_id", ""), client, context)
            return
        await report_gap(rest, respond, client, context)
        return
    if first.lower() == "fill":
        await ack()
        from bot.commands.fill import fill

        await fill(rest, respond, context)
        return
    parsed = parse_shift_gap(text)
    if isinstance(parsed, ShiftGapUsage):
        await ack(
            response_type="ephemeral",
            blocks=usage_blocks(USAGE, parsed.problem),
            text=usage_text(USAGE, parsed.problem),
        )
        return
    staffing: StaffingClient = context["staffing"]
    try:
        response = await staffing.get_shift_gaps(shift_gap_request(parsed))
    except ServiceCallError as error:
        await _answer_refusal(error, parsed, staffing, ack)
        return
    await ack(
        response_type="ephemeral",
        blocks=shift_gap_blocks(response),
        text=shift_gap_text(response),
    )


async def _answer_refusal(
    error: ServiceCallError, query: ShiftGapQuery, staffing: StaffingClient, answer: AsyncAck
) -> None:
    """Refusals the nurse can fix, answered in the ack; anything else goes to the error handler."""
    if error.code == grpc.StatusCode.NOT_FOUND and query.unit_id:
        units = await staffing.list_units()
        await answer(
            response_type="ephemeral",
            blocks=unknown_unit_blocks(query.unit_id, units),
            text=unknown_unit_text(query.unit_id, units),
        )
        return
    if error.code == grpc.StatusCode.FAILED_PRECONDITION and not query.unit_id:
        problem = "You have no home unit in the staff directory, so name a unit."
    elif error.code == grpc.StatusCode.PERMISSION_DENIED:
        problem = error.details  # staffing's table: who on duty is for the unit's own staff
    elif error.code == grpc.StatusCode.INVALID_ARGUMENT:
        problem = "; ".join(
            f"{field}: {description}" for field, description in error.violations.items()
        ) or error.details
    else:
        raise error
    await answer(
        response_type="ephemeral",
        blocks=usage_blocks(USAGE, problem),
        text=usage_text(USAGE, problem),
    )


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(shift_gap)
