"""Words shared by the commands' parsers: days, shifts, and refusals a nurse can act on."""

import re
from datetime import date

import grpc

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
