"""The `/shift-gap` answer: who the ratio requires against who is on duty, per role."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf.timestamp_pb2 import Timestamp
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ids import BlockId
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2

SHIFT_NAMES = {common_pb2.SHIFT_DAY: "Day shift", common_pb2.SHIFT_NIGHT: "Night shift"}


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
        weekday = starts.strftime("%a")
        hours = f"{starts:%H:%M}–{ends:%H:%M}"
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


def shift_gap_blocks(response: staffing_pb2.GetShiftGapsResponse) -> list[Block]:
    """Blocks for one unit's shift: window, census, ratio rule, each role's gap, as of when."""
    unit = response.unit
    zone = _zone(unit.time_zone)
    blocks: list[Block] = [
        HeaderBlock(block_id=BlockId.SHIFT_GAP_HEADER, text=f"{unit.name} ({unit.unit_id})"[:150]),
        SectionBlock(
            block_id=BlockId.SHIFT_GAP_WINDOW,
            text=MarkdownTextObject(text=_window_text(response, zone)),
        ),
        SectionBlock(
            block_id=BlockId.SHIFT_GAP_CENSUS,
            fields=[
                MarkdownTextObject(text=_census_text(response)),
                MarkdownTextObject(text=f"*Ratio rule*\n{response.ratio_rule or 'none given'}"),
            ],
        ),
        DividerBlock(),
    ]
    if not response.gaps:
        blocks.append(
            SectionBlock(
                block_id=f"{BlockId.SHIFT_GAP_ROLE}.none",
                text=MarkdownTextObject(text="Nothing required for this shift."),
            )
        )
    for index, gap in enumerate(response.gaps):
        blocks.append(
            SectionBlock(
                block_id=f"{BlockId.SHIFT_GAP_ROLE}.{index}",
                text=MarkdownTextObject(text=role_gap_text(gap)),
            )
        )
    as_of = (
        f"{_local(response.as_of, zone):%Y-%m-%d %H:%M} facility time"
        if response.HasField("as_of")
        else "unknown"
    )
    blocks.append(
        ContextBlock(
            block_id=BlockId.SHIFT_GAP_AS_OF,
            elements=[MarkdownTextObject(text=f"As of {as_of} · unit {unit.unit_id}")],
        )
    )
    return blocks


def shift_gap_text(response: staffing_pb2.GetShiftGapsResponse) -> str:
    """The notification fallback: the unit and the total shortfall."""
    short = sum(gap.gap for gap in response.gaps)
    state = f"short {short}" if short else "covered"
    return f"{response.unit.unit_id} {SHIFT_NAMES.get(response.window.shift, 'shift')}: {state}"
