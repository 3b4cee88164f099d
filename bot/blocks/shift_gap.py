"""The `/shift-gap` answer: who the ratio requires against who is on duty, per role.

Unlike the other builders, which build slack_sdk's models, this one writes the Block Kit JSON
itself: it is the hottest answer (every /shift-gap, sent inside Slack's 3 s ack), and there the
models cost ~0.15 ms of the bot's CPU per answer (building ~14 objects, then slack_sdk's
`to_dict()` re-walking each one's validators by introspection) where the JSON costs ~0.02 ms.
tests/bot/test_shift_gap_blocks.py holds this JSON to slack_sdk's models: every block parses into
its model and round-trips through `to_dict()`, validators included, and each answer equals what
the model-based builder gave.
"""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf.timestamp_pb2 import Timestamp

from bot.ids import BlockId
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2

SHIFT_NAMES = {common_pb2.SHIFT_DAY: "Day shift", common_pb2.SHIFT_NIGHT: "Night shift"}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(timestamp: Timestamp, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(timestamp.seconds + timestamp.nanos / 1e9, UTC).astimezone(zone)


def _window_text(response: staffing_pb2.GetShiftGapsResponse, zone: ZoneInfo) -> str:
    window = response.window
    shift = SHIFT_NAMES.get(window.shift, "Shift")
    day = window.date
    date_text = f"{day.year:04d}-{day.month:02d}-{day.day:02d}" if day.year else "date unknown"
    if window.HasField("starts_at") and window.HasField("ends_at"):
        starts, ends = _local(window.starts_at, zone), _local(window.ends_at, zone)
        # What strftime's %a and %H:%M give (the bot never sets a locale), at a third the cost.
        weekday = _WEEKDAYS[starts.weekday()]
        hours = f"{starts.hour:02d}:{starts.minute:02d}–{ends.hour:02d}:{ends.minute:02d}"
        return f"*{shift}* {weekday} {date_text}, {hours} facility time ({zone.key})"
    return f"*{shift}* {date_text} ({zone.key})"


def _census_text(response: staffing_pb2.GetShiftGapsResponse) -> str:
    if not response.census_recorded:
        return "*Census*\nno census recorded"
    census = response.census
    parts = [f"{census.patients} patient{'s' if census.patients != 1 else ''}"]
    if census.critical_care_patients:
        parts.append(f"{census.critical_care_patients} critical care")
    if census.trauma_patients:
        parts.append(f"{census.trauma_patients} trauma")
    if census.occupied_rooms:
        parts.append(f"{census.occupied_rooms} rooms in use")
    return "*Census*\n" + ", ".join(parts)


def role_gap_text(gap: staffing_pb2.RoleGap) -> str:
    """One role's line: required, counted on duty, and the gap flagged when short."""
    line = f"*{gap.role}*: required {gap.required} · on duty {gap.counted} · "
    if gap.gap > 0:
        line += f":warning: *gap {gap.gap} — SHORT {gap.gap}*"
    else:
        line += "gap 0 :white_check_mark: covered"
    if gap.rule:
        line += f"\n_{gap.rule}_"
    return line


_HEADER = BlockId.SHIFT_GAP_HEADER.value
_WINDOW = BlockId.SHIFT_GAP_WINDOW.value
_CENSUS = BlockId.SHIFT_GAP_CENSUS.value
_ROLE = BlockId.SHIFT_GAP_ROLE.value
_AS_OF = BlockId.SHIFT_GAP_AS_OF.value
# Slack refuses a header whose text is longer than this.
HEADER_MAX = 150


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def shift_gap_blocks(response: staffing_pb2.GetShiftGapsResponse) -> list[dict[str, Any]]:
    """Blocks for one unit's shift: window, census, ratio rule, each role's gap, as of when."""
    unit = response.unit
    zone = _zone(unit.time_zone)
    header = f"{unit.name} ({unit.unit_id})"[:HEADER_MAX]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": _HEADER,
         "text": {"type": "plain_text", "text": header, "emoji": True}},
        {"type": "section", "block_id": _WINDOW, "text": _mrkdwn(_window_text(response, zone))},
        {"type": "section", "block_id": _CENSUS, "fields": [
            _mrkdwn(_census_text(response)),
            _mrkdwn(f"*Ratio rule*\n{response.ratio_rule or 'none given'}"),
        ]},
        {"type": "divider"},
    ]
    if not response.gaps:
        blocks.append({"type": "section", "block_id": f"{_ROLE}.none",
                       "text": _mrkdwn("Nothing required for this shift.")})
    for index, gap in enumerate(response.gaps):
        blocks.append({"type": "section", "block_id": f"{_ROLE}.{index}",
                       "text": _mrkdwn(role_gap_text(gap))})
    as_of = (
        f"{_local(response.as_of, zone):%Y-%m-%d %H:%M} facility time"
        if response.HasField("as_of")
        else "unknown"
    )
    blocks.append({"type": "context", "block_id": _AS_OF,
                   "elements": [_mrkdwn(f"As of {as_of} · unit {unit.unit_id}")]})
    return blocks


def shift_gap_text(response: staffing_pb2.GetShiftGapsResponse) -> str:
    """The notification fallback: the unit and the total shortfall."""
    short = sum(gap.gap for gap in response.gaps)
    state = f"short {short}" if short else "covered"
    return f"{response.unit.unit_id} {SHIFT_NAMES.get(response.window.shift, 'shift')}: {state}"
