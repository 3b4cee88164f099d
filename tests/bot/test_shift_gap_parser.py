from datetime import date

import pytest

from bot.commands.shift_gap import (
    ShiftGapQuery,
    ShiftGapUsage,
    parse_shift_gap,
    shift_gap_request,
)
from clinops.common.v1 import common_pb2


def test_no_words_asks_for_the_callers_home_unit_and_the_shift_in_progress():
    assert parse_shift_gap("") == ShiftGapQuery()
    assert parse_shift_gap("   ") == ShiftGapQuery()


@pytest.mark.parametrize("text", ["help", "HELP", "ICU help", "help me"])
def test_help_anywhere_shows_usage_without_a_problem(text):
    assert parse_shift_gap(text) == ShiftGapUsage()


def test_words_may_come_in_any_order_and_any_case():
    expected = ShiftGapQuery(unit_id="4W", day="tomorrow", shift="night")
    assert parse_shift_gap("4w tomorrow night") == expected
    assert parse_shift_gap("NIGHT 4W Tomorrow") == expected
    assert parse_shift_gap("tomorrow night 4w") == expected


def test_today_and_day_shift_are_understood():
    assert parse_shift_gap("icu today day") == ShiftGapQuery(unit_id="ICU", day="today",
                                                              shift="day")


def test_an_iso_date_is_a_calendar_date():
    assert parse_shift_gap("ICU 2026-12-24 night") == ShiftGapQuery(
        unit_id="ICU", day=date(2026, 12, 24), shift="night"
    )


def test_a_shift_without_a_unit_means_the_home_unit():
    assert parse_shift_gap("night") == ShiftGapQuery(shift="night")


def test_an_impossible_date_shows_usage_naming_the_date():
    parsed = parse_shift_gap("ICU 2026-02-30")
    assert isinstance(parsed, ShiftGapUsage)
    assert "2026-02-30" in parsed.problem
    assert "not a real date" in parsed.problem


def test_two_units_show_usage_naming_both():
    parsed = parse_shift_gap("ICU 4W")
    assert isinstance(parsed, ShiftGapUsage)
    assert "ICU" in parsed.problem and "4W" in parsed.problem


@pytest.mark.parametrize("text", ["today tomorrow", "ICU 2026-01-01 today", "day night"])
def test_two_days_or_two_shifts_show_usage(text):
    assert isinstance(parse_shift_gap(text), ShiftGapUsage)


@pytest.mark.parametrize("text", ["ICU!", "4W 26/11/2026", "<@U123>"])
def test_words_that_are_neither_unit_day_nor_shift_show_usage_quoting_them(text):
    parsed = parse_shift_gap(text)
    assert isinstance(parsed, ShiftGapUsage)
    assert "don't understand" in parsed.problem


def test_the_request_leaves_relative_days_to_the_service():
    request = shift_gap_request(ShiftGapQuery(unit_id="ICU", day="tomorrow", shift="night"))
    assert request.unit_id == "ICU"
    assert request.day.relative == common_pb2.RELATIVE_DAY_TOMORROW
    assert request.shift == common_pb2.SHIFT_NIGHT


def test_the_request_carries_a_calendar_date_as_given():
    request = shift_gap_request(ShiftGapQuery(day=date(2026, 12, 24)))
    assert request.unit_id == ""
    assert (request.day.date.year, request.day.date.month, request.day.date.day) == (2026, 12, 24)
    assert request.shift == common_pb2.SHIFT_UNSPECIFIED


def test_no_day_means_no_day_spec_so_the_service_picks_the_shift_in_progress():
    request = shift_gap_request(ShiftGapQuery(unit_id="4W"))
    assert not request.HasField("day")
