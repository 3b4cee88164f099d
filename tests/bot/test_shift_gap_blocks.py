import json
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from slack_bolt.util.utils import convert_to_dict_list
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks import shift_gap
from bot.blocks.messages import unknown_unit_text, usage_blocks
from bot.blocks.shift_gap import shift_gap_blocks, shift_gap_text
from bot.ids import BlockId
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2


def _ts(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def icu_day_shift(*, census_recorded: bool = True) -> staffing_pb2.GetShiftGapsResponse:
    response = staffing_pb2.GetShiftGapsResponse(
        unit=staffing_pb2.Unit(unit_id="ICU", name="Medical ICU", time_zone="America/Los_Angeles"),
        window=common_pb2.ShiftWindow(
            date=common_pb2.Date(year=2026, month=11, day=26),
            shift=common_pb2.SHIFT_DAY,
            # 07:00-19:00 Pacific standard time.
            starts_at=_ts(datetime(2026, 11, 26, 15, 0, tzinfo=UTC)),
            ends_at=_ts(datetime(2026, 11, 27, 3, 0, tzinfo=UTC)),
        ),
        census_recorded=census_recorded,
        ratio_rule="Title 22 ICU: 1 licensed nurse per 2 patients",
        as_of=_ts(datetime(2026, 11, 26, 18, 30, tzinfo=UTC)),
        gaps=[
            staffing_pb2.RoleGap(role="Licensed nurse", required=4, counted=3, gap=1,
                                 rule="Title 22 ICU 1:2 (census 7)"),
            staffing_pb2.RoleGap(role="CNA", required=1, counted=1, gap=0,
                                 rule="unit grid: census 1-8 -> 1 CNA"),
        ],
    )
    if census_recorded:
        response.census.patients = 7
    return response


def _variants() -> dict[str, staffing_pb2.GetShiftGapsResponse]:
    """The shapes of answer the builder must get right, one per key."""
    no_gaps = icu_day_shift()
    del no_gaps.gaps[:]
    no_gaps.ratio_rule = ""
    night = staffing_pb2.GetShiftGapsResponse(
        unit=staffing_pb2.Unit(unit_id="4W", name="4 West Med-Surg", time_zone="America/New_York"),
        window=common_pb2.ShiftWindow(
            date=common_pb2.Date(year=2026, month=3, day=7),
            shift=common_pb2.SHIFT_NIGHT,
            # 19:00-07:00 Eastern, across the night the clocks go forward.
            starts_at=_ts(datetime(2026, 3, 8, 0, 0, tzinfo=UTC)),
            ends_at=_ts(datetime(2026, 3, 8, 11, 0, tzinfo=UTC)),
        ),
        census_recorded=True,
        census=staffing_pb2.Census(patients=1, critical_care_patients=1, trauma_patients=2,
                                   occupied_rooms=1),
        ratio_rule="Unit grid",
        as_of=_ts(datetime(2026, 3, 8, 9, 5, 30, tzinfo=UTC)),
        gaps=[
            staffing_pb2.RoleGap(role="Licensed nurse", required=3, counted=1, gap=2),
            staffing_pb2.RoleGap(role="CNA", required=1, counted=2, gap=0),
            staffing_pb2.RoleGap(role="Unit clerk", required=1, counted=0, gap=1,
                                 rule="unit grid: one clerk per shift"),
        ],
    )
    no_times = staffing_pb2.GetShiftGapsResponse(
        unit=staffing_pb2.Unit(unit_id="ED", name="Emergency"),
        window=common_pb2.ShiftWindow(shift=common_pb2.SHIFT_DAY,
                                      date=common_pb2.Date(year=2026, month=11, day=26)),
        gaps=[staffing_pb2.RoleGap(role="Licensed nurse", required=2, counted=2, gap=0)],
    )
    bare = staffing_pb2.GetShiftGapsResponse(unit=staffing_pb2.Unit(unit_id="X"))
    long_name = icu_day_shift()
    long_name.unit.name = "Cardiothoracic Surgical Intensive Care " * 6  # 234 characters
    unknown_zone = icu_day_shift()
    unknown_zone.unit.time_zone = "Mars/Olympus_Mons"
    return {
        "icu_day_census": icu_day_shift(),
        "no_census": icu_day_shift(census_recorded=False),
        "no_gaps": no_gaps,
        "night_shift": night,
        "no_window_times": no_times,
        "bare": bare,
        "long_unit_name": long_name,
        "unknown_zone": unknown_zone,
    }


def _dicts(blocks):
    """The blocks as Bolt sends them: dicts as they are, slack_sdk models through to_dict()."""
    return convert_to_dict_list(blocks)


def _texts(blocks) -> str:
    out = []
    for block in _dicts(blocks):
        if "text" in block:
            out.append(block["text"]["text"])
        out += [field["text"] for field in block.get("fields", [])]
        out += [element.get("text", "") for element in block.get("elements", [])]
    return "\n".join(out)


def test_the_header_names_the_unit_and_its_id():
    header = _dicts(shift_gap_blocks(icu_day_shift()))[0]
    assert header["type"] == "header"
    assert header["text"]["text"] == "Medical ICU (ICU)"


def test_the_window_is_shown_in_facility_time_with_date_shift_and_hours():
    text = _texts(shift_gap_blocks(icu_day_shift()))
    assert "Day shift" in text
    assert "2026-11-26" in text
    assert "07:00–19:00 facility time (America/Los_Angeles)" in text


def test_census_and_ratio_rule_are_side_by_side():
    census = next(b for b in _dicts(shift_gap_blocks(icu_day_shift()))
                  if b.get("block_id") == BlockId.SHIFT_GAP_CENSUS)
    fields = [field["text"] for field in census["fields"]]
    assert fields == ["*Census*\n7 patients",
                      "*Ratio rule*\nTitle 22 ICU: 1 licensed nurse per 2 patients"]


def test_a_shift_without_census_says_so():
    assert "no census recorded" in _texts(shift_gap_blocks(icu_day_shift(census_recorded=False)))


def test_each_role_shows_required_on_duty_and_gap_with_the_short_one_flagged():
    roles = [b["text"]["text"] for b in _dicts(shift_gap_blocks(icu_day_shift()))
             if str(b.get("block_id", "")).startswith(BlockId.SHIFT_GAP_ROLE)]
    assert roles[0].startswith("*Licensed nurse*: required 4 · on duty 3 · ")
    assert ":warning: *gap 1 — SHORT 1*" in roles[0]
    assert "Title 22 ICU 1:2 (census 7)" in roles[0]
    assert "gap 0" in roles[1] and "covered" in roles[1] and "SHORT" not in roles[1]


def test_as_of_is_in_facility_time():
    context = _dicts(shift_gap_blocks(icu_day_shift()))[-1]
    assert context["type"] == "context"
    assert context["elements"][0]["text"] == "As of 2026-11-26 10:30 facility time · unit ICU"


def test_the_fallback_text_gives_the_total_shortfall():
    assert shift_gap_text(icu_day_shift()) == "ICU Day shift: short 1"


def test_usage_leads_with_the_problem():
    blocks = _dicts(usage_blocks("*Usage:* /shift-gap", "`2026-02-30` is not a real date"))
    assert [b["block_id"] for b in blocks] == [BlockId.ERROR, BlockId.USAGE]


def test_an_unknown_unit_lists_the_known_ones():
    units = [staffing_pb2.Unit(unit_id="4W", name="4 West Med-Surg"),
             staffing_pb2.Unit(unit_id="ICU", name="Medical ICU")]
    assert unknown_unit_text("NOWHERE", units) == (
        "No unit called NOWHERE. Known units: 4W (4 West Med-Surg), ICU (Medical ICU)."
    )


# The builder as it was before it wrote the JSON itself (slack_sdk models, then to_dict()), with
# the window text as it was (strftime); kept here only, to hold the JSON builder to what it gave.
def _model_window_text(response, zone) -> str:
    window = response.window
    shift = shift_gap.SHIFT_NAMES.get(window.shift, "Shift")
    day = window.date
    date_text = f"{day.year:04d}-{day.month:02d}-{day.day:02d}" if day.year else "date unknown"
    if window.HasField("starts_at") and window.HasField("ends_at"):
        starts = shift_gap._local(window.starts_at, zone)
        ends = shift_gap._local(window.ends_at, zone)
        weekday = starts.strftime("%a")
        hours = f"{starts:%H:%M}–{ends:%H:%M}"
        return f"*{shift}* {weekday} {date_text}, {hours} facility time ({zone.key})"
    return f"*{shift}* {date_text} ({zone.key})"


def _model_blocks(response) -> list[Block]:
    unit = response.unit
    zone = shift_gap._zone(unit.time_zone)
    blocks: list[Block] = [
        HeaderBlock(block_id=BlockId.SHIFT_GAP_HEADER, text=f"{unit.name} ({unit.unit_id})"[:150]),
        SectionBlock(
            block_id=BlockId.SHIFT_GAP_WINDOW,
            text=MarkdownTextObject(text=_model_window_text(response, zone)),
        ),
        SectionBlock(
            block_id=BlockId.SHIFT_GAP_CENSUS,
            fields=[
                MarkdownTextObject(text=shift_gap._census_text(response)),
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
                text=MarkdownTextObject(text=shift_gap.role_gap_text(gap)),
            )
        )
    as_of = (
        f"{shift_gap._local(response.as_of, zone):%Y-%m-%d %H:%M} facility time"
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


# What the model-based builder sent for the ICU day shift, written out.
ICU_DAY_SHIFT_JSON = [
    {"type": "header", "block_id": "shift_gap.header",
     "text": {"type": "plain_text", "text": "Medical ICU (ICU)", "emoji": True}},
    {"type": "section", "block_id": "shift_gap.window",
     "text": {"type": "mrkdwn", "text": "*Day shift* Thu 2026-11-26, 07:00–19:00 facility time"
                                        " (America/Los_Angeles)"}},
    {"type": "section", "block_id": "shift_gap.census",
     "fields": [{"type": "mrkdwn", "text": "*Census*\n7 patients"},
                {"type": "mrkdwn",
                 "text": "*Ratio rule*\nTitle 22 ICU: 1 licensed nurse per 2 patients"}]},
    {"type": "divider"},
    {"type": "section", "block_id": "shift_gap.role.0",
     "text": {"type": "mrkdwn", "text": "*Licensed nurse*: required 4 · on duty 3 · :warning:"
                                        " *gap 1 — SHORT 1*\n_Title 22 ICU 1:2 (census 7)_"}},
    {"type": "section", "block_id": "shift_gap.role.1",
     "text": {"type": "mrkdwn", "text": "*CNA*: required 1 · on duty 1 · gap 0"
                                        " :white_check_mark: covered"
                                        "\n_unit grid: census 1-8 -> 1 CNA_"}},
    {"type": "context", "block_id": "shift_gap.as_of",
     "elements": [{"type": "mrkdwn", "text": "As of 2026-11-26 10:30 facility time · unit ICU"}]},
]

MODEL_OF = {"header": HeaderBlock, "section": SectionBlock, "divider": DividerBlock,
            "context": ContextBlock}


def test_the_icu_day_shift_is_sent_as_the_model_based_builder_sent_it():
    assert shift_gap_blocks(icu_day_shift()) == ICU_DAY_SHIFT_JSON
    assert _dicts(_model_blocks(icu_day_shift())) == ICU_DAY_SHIFT_JSON


@pytest.mark.parametrize("variant", list(_variants()))
def test_every_answer_is_what_the_model_based_builder_gave(variant):
    response = _variants()[variant]
    assert shift_gap_blocks(response) == _dicts(_model_blocks(response))


@pytest.mark.parametrize("variant", list(_variants()))
def test_every_block_is_block_kit_as_slack_sdk_checks_it(variant):
    blocks = shift_gap_blocks(_variants()[variant])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # slack_sdk warns of keys it does not know
        for block in blocks:
            model = Block.parse(block)
            assert type(model) is MODEL_OF[block["type"]]
            # to_dict() runs the validators (header text at most 150 characters, ...) and
            # writes the keys slack_sdk would: nothing missing, nothing extra, same values.
            assert model.to_dict() == block
    # Plain JSON: block ids are strings, not BlockId members.
    assert json.loads(json.dumps(blocks)) == blocks
    assert all(type(block.get("block_id", "")) is str for block in blocks)


def test_a_long_unit_name_is_cut_to_the_150_characters_a_header_allows():
    header = shift_gap_blocks(_variants()["long_unit_name"])[0]["text"]["text"]
    assert len(header) == 150
    assert header.startswith("Cardiothoracic Surgical Intensive Care Cardiothoracic")


def test_the_weekday_and_hours_are_what_strftime_gives_on_each_day_of_the_week():
    response = icu_day_shift()
    for offset in range(7):
        starts = datetime(2026, 11, 23, 15, 5, tzinfo=UTC) + timedelta(days=offset)
        response.window.starts_at.CopyFrom(_ts(starts))
        response.window.ends_at.CopyFrom(_ts(starts + timedelta(hours=12, minutes=1)))
        zone = shift_gap._zone(response.unit.time_zone)
        assert shift_gap._window_text(response, zone) == _model_window_text(response, zone)
