"""Words shared by the commands' parsers: days, shifts, and refusals a nurse can act on."""

import re
from datetime import date

import grpc
from slack_bolt.async_app import AsyncRespond

from bot.blocks.messages import error_blocks
from bot.clients import ServiceCallError

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DAY_WORDS = ("today", "tomorrow")
SHIFT_WORDS = ("day", "night")


def parse_day(word: str) -> date | str | None:
    """'today', 'tomorrow' or a date from an ISO word; None if it is none of them.

    Raises ValueError for a well-formed but impossible date.
    """
    lowered = word.lower()
    if lowered in DAY_WORDS:
        return lowered
    if DATE.match(lowered):
        return date.fromisoformat(lowered)
    return None


def refusal_text(error: ServiceCallError) -> str | None:
    """The service's own words for a refusal the nurse can act on; None for real failures."""
    if error.code == grpc.StatusCode.INVALID_ARGUMENT:
        return "; ".join(f"{f}: {d}" for f, d in error.violations.items()) or error.details
    if error.code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND,
                      grpc.StatusCode.FAILED_PRECONDITION):
        return error.details
    return None


async def answer_refusal(error: ServiceCallError, respond: AsyncRespond, *,
                         in_place_of_click: bool = False) -> None:
    """Tell the person, ephemerally, why the service refused; re-raise a real failure (the one
    error handler answers it with a reference). `in_place_of_click`: the answer to a button,
    which must not replace the message the button was on."""
    problem = refusal_text(error)
    if problem is None:
        raise error
    extra = {"replace_original": False} if in_place_of_click else {}
    await respond(response_type="ephemeral", blocks=error_blocks(problem), text=problem, **extra)
