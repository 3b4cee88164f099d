"""The /census, /shift-gap report and fill parsers, and the report modal's state: pure."""

from datetime import date

import pytest

from bot.commands.census import CensusEntry, CensusUsage, census_request, parse_census
from bot.commands.fill import FillQuery, FillUsage, candidates_request, parse_fill
from bot.commands.open_shift import GapReport, ReportUsage, parse_report, report_request
from bot.commands.report_modal import report_from_state
from bot.ids import ActionId, BlockId
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2


def test_census_takes_unit_and_patients_in_any_order_with_shift_and_day():
    assert parse_census("12 icu night tomorrow") == CensusEntry("ICU", 12, "tomorrow", "night")


def test_census_accepts_unit_ids_that_start_with_a_digit():
    assert parse_census("4W 16") == CensusEntry("4W", 16)


def test_census_carries_ed_acuity_and_or_rooms():
    entry = parse_census("ED 14 cc=2 trauma=1")
    assert entry.counts == {"critical_care_patients": 2, "trauma_patients": 1}
    assert parse_census("OR rooms=5").patients == 0


@pytest.mark.parametrize(("text", "problem"), [
    ("ICU", "Give the number of patients"),
    ("12", "Name the unit"),
    ("ICU 12 14", "Give one patient count, not both 12 and 14"),
    ("ICU 12 2026-02-30", "is not a real date"),
    ("ICU 12 day night", "Give one shift"),
])
def test_census_input_a_nurse_can_fix_gets_usage_saying_what_is_wrong(text, problem):
    parsed = parse_census(text)
    assert isinstance(parsed, CensusUsage) and problem in parsed.problem


def test_census_help_shows_usage_alone():
    assert parse_census("help") == CensusUsage()


def test_the_census_request_leaves_tomorrow_to_the_service():
    request = census_request(CensusEntry("ICU", 12, "tomorrow", "night"))
    assert request.day.relative == common_pb2.RELATIVE_DAY_TOMORROW
    assert request.shift == common_pb2.SHIFT_NIGHT and request.census.patients == 12


def test_a_report_takes_count_shift_and_day_in_any_order_then_the_reason():
    parsed = parse_report("4W cna tomorrow 2 day census rising")
    assert parsed == GapReport("4W", staffing_pb2.STAFF_ROLE_CNA, 2, "tomorrow", "day",
                               "census rising")


def test_a_report_with_a_date_and_no_count_asks_for_one_slot():
    parsed = parse_report("ICU RN 2026-11-27 night call-out")
    assert (parsed.slots, parsed.day, parsed.reason) == (1, date(2026, 11, 27), "call-out")


@pytest.mark.parametrize(("text", "problem"), [
    ("ICU", "Name the unit and the role"),
    ("ICU doctor", "`doctor` is not a role"),
    ("ICU RN 30", "Count must be 1-20"),
    ("ICU RN 2026-13-01", "is not a real date"),
    ("!!! RN", "is not a unit id"),
])
def test_a_report_a_nurse_can_fix_gets_usage_saying_what_is_wrong(text, problem):
    parsed = parse_report(text)
    assert isinstance(parsed, ReportUsage) and problem in parsed.problem


def test_the_report_request_carries_role_slots_shift_and_reason():
    request = report_request(parse_report("LD RN 2 tomorrow night two call-outs"))
    assert (request.unit_id, request.role, request.slots) == ("LD", staffing_pb2.STAFF_ROLE_RN, 2)
    assert request.shift == common_pb2.SHIFT_NIGHT and request.reason == "two call-outs"
    assert request.day.relative == common_pb2.RELATIVE_DAY_TOMORROW


def test_fill_takes_a_unit_then_shift_and_day_in_any_order():
    assert parse_fill("tomorrow icu night") == FillQuery("ICU", "tomorrow", "night")
    request = candidates_request(FillQuery("ICU", date(2026, 11, 27), "day"))
    assert request.unit_id == "ICU" and request.day.date.day == 27
    assert request.shift == common_pb2.SHIFT_DAY and not request.open_shift_id


@pytest.mark.parametrize(("text", "problem"), [
    ("night", "Name the unit"),
    ("ICU 4W", "I don't understand `4W`"),
    ("ICU today tomorrow", "Give one day"),
])
def test_fill_input_a_nurse_can_fix_gets_usage(text, problem):
    parsed = parse_fill(text)
    assert isinstance(parsed, FillUsage) and problem in parsed.problem


def test_fill_alone_or_help_shows_usage():
    assert parse_fill("") == FillUsage() and parse_fill("help") == FillUsage()


def _state(unit="LD", role="rn", count="2", shift="night", day="2026-11-27", reason=" x "):
    def selected(value):
        return {"selected_option": {"value": value} if value else None}

    return {
        BlockId.REPORT_UNIT: {ActionId.REPORT_UNIT_INPUT: selected(unit)},
        BlockId.REPORT_ROLE: {ActionId.REPORT_ROLE_INPUT: selected(role)},
        BlockId.REPORT_COUNT: {ActionId.REPORT_COUNT_INPUT: {"value": count}},
        BlockId.REPORT_SHIFT: {ActionId.REPORT_SHIFT_INPUT: selected(shift)},
        BlockId.REPORT_DATE: {ActionId.REPORT_DATE_INPUT: {"selected_date": day}},
        BlockId.REPORT_REASON: {ActionId.REPORT_REASON_INPUT: {"value": reason}},
    }


def test_the_modal_state_becomes_the_same_report_as_the_text_form():
    from_modal = report_from_state(_state())
    from_text = parse_report("LD RN 2 night 2026-11-27 x")
    assert from_modal == from_text
    assert report_request(from_modal) == report_request(from_text)


def test_an_empty_date_in_the_modal_means_today_as_in_the_text_form():
    assert report_from_state(_state(day=None)).day is None


def test_modal_problems_are_keyed_by_the_block_that_shows_them():
    errors = report_from_state(_state(unit="", count="0"))
    assert set(errors) == {BlockId.REPORT_UNIT, BlockId.REPORT_COUNT}
