"""`/census <unit> <patients> [day|night] [today|tomorrow|YYYY-MM-DD] [cc=n trauma=n rooms=n]`."""

import re
from dataclasses import dataclass, field
from datetime import date

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.blocks.messages import usage_blocks, usage_text
from bot.blocks.shift_gap import shift_gap_blocks, shift_gap_text
from bot.clients import ServiceCallError, StaffingClient
from bot.commands.shift_gap import ShiftGapQuery, shift_gap_request
from bot.commands.words import SHIFT_WORDS, answer_refusal, parse_day
from clinops.staffing.v1 import staffing_pb2

COMMAND = "/census"
USAGE = (
    "*Usage:* `/census <unit> <patients> [day|night] [today|tomorrow|YYYY-MM-DD]`\n"
    "• `/census ICU 12` — the ICU's census for the shift in progress\n"
    "• `/census ED 14 night cc=2 trauma=1` — ED critical care and trauma patients\n"
    "• `/census OR rooms=5 tomorrow` — operating rooms in use\n"
    "Only the unit's charge nurse or manager (or the house supervisor) can change its census."
)
_COUNT = re.compile(r"^(cc|trauma|rooms)=(\d{1,4})$", re.IGNORECASE)
_UNIT = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_&.-]{0,15}$")
_ACUITY = {"cc": "critical_care_patients", "trauma": "trauma_patients", "rooms": "occupied_rooms"}


@dataclass(frozen=True)
class CensusEntry:
    unit_id: str
    patients: int
    day: date | str | None = None
    shift: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CensusUsage:
    problem: str | None = None


def parse_census(text: str) -> CensusEntry | CensusUsage:
    """Tokens in any order: one unit, one patient count, optional shift, day and acuity counts."""
    words = (text or "").split()
    if not words or words[0].lower() == "help":
        return CensusUsage()
    unit_id, patients, day, shift, counts = None, None, None, None, {}
    for word in words:
        lowered = word.lower()
        try:
            when = parse_day(word)
        except ValueError as error:
            return CensusUsage(f"`{word}` is not a real date ({error}).")
        if when is not None:
            if day is not None:
                return CensusUsage("Give one day.")
            day = when
        elif lowered in SHIFT_WORDS:
            if shift is not None:
                return CensusUsage("Give one shift, `day` or `night`.")
            shift = lowered
        elif word.isdigit():
            if patients is not None:
                return CensusUsage(f"Give one patient count, not both {patients} and {word}.")
            patients = int(word)
        elif match := _COUNT.match(word):
            counts[_ACUITY[match.group(1).lower()]] = int(match.group(2))
        elif _UNIT.match(word) and unit_id is None:
            unit_id = word.upper()
        else:
            return CensusUsage(f"I don't understand `{word}`.")
    if unit_id is None:
        return CensusUsage("Name the unit, e.g. `/census ICU 12`.")
    if patients is None:
        if "occupied_rooms" not in counts:
            return CensusUsage("Give the number of patients, e.g. `/census ICU 12`.")
        patients = 0
    return CensusEntry(unit_id, patients, day, shift, counts)


def census_request(entry: CensusEntry) -> staffing_pb2.RecordCensusRequest:
    when = shift_gap_request(ShiftGapQuery(day=entry.day, shift=entry.shift))  # type: ignore[arg-type]
    request = staffing_pb2.RecordCensusRequest(
        unit_id=entry.unit_id, shift=when.shift,
        census=staffing_pb2.Census(patients=entry.patients, **entry.counts))
    if when.HasField("day"):
        request.day.CopyFrom(when.day)
    return request


async def census(ack: AsyncAck, command: dict, respond: AsyncRespond, context: dict) -> None:
    """ack → RecordCensus → the new gap table, or the reason the census was refused."""
    await ack()
    parsed = parse_census(command.get("text", ""))
    if isinstance(parsed, CensusUsage):
        await respond(response_type="ephemeral", blocks=usage_blocks(USAGE, parsed.problem),
                      text=usage_text(USAGE, parsed.problem))
        return
    staffing: StaffingClient = context["staffing"]
    try:
        response = await staffing.record_census(census_request(parsed))
    except ServiceCallError as error:
        await answer_refusal(error, respond)
        return
    gaps = response.shift_gaps
    await respond(response_type="ephemeral", blocks=shift_gap_blocks(gaps),
                  text=f"Census recorded. {shift_gap_text(gaps)}")


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(census)
