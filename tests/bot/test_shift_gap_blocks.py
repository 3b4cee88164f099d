from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

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


def _dicts(blocks):
    return [block.to_dict() for block in blocks]


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
