"""Title 22 ratio rules as pure functions: required licensed nurses, who counts, the unit grid."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.staffing.domain import required_nurses, shift_staffing
from services.staffing.errors import InvalidInput, NoRatioRule, UnknownCategory
from services.staffing.model import (
    Assignment,
    Census,
    Duty,
    GridStep,
    PatientGroup,
    RatioLimit,
    RatioRule,
    Role,
    Shift,
    Unit,
    UnitCategory,
    parse_enum,
)

CSV = Path(__file__).resolve().parents[2] / "services/staffing/ratios/title22_ca.csv"
DAY = date(2026, 11, 26)


def _table() -> dict[UnitCategory, RatioRule]:
    limits: dict[UnitCategory, dict[PatientGroup, RatioLimit]] = {}
    with CSV.open(newline="", encoding="utf-8") as table:
        for row in csv.DictReader(table):
            category, group = UnitCategory(row["category"]), PatientGroup(row["patient_group"])
            limits.setdefault(category, {})[group] = RatioLimit(
                row["jurisdiction"], category, group, int(row["patients_per_nurse"]), row["law"],
                row["source"])
    return {category: RatioRule("US-CA", category, groups) for category, groups in limits.items()}


TABLE = _table()

# DESIGN.md, from CCR Title 22 §70217: maximum patients per licensed nurse, at all times.
DESIGN_RATIOS = {
    "ICU": 2, "NICU": 2, "BURN": 2, "PACU": 2, "LABOR_DELIVERY": 2, "ANTEPARTUM": 4,
    "POSTPARTUM_COUPLETS": 4, "POSTPARTUM_MOTHERS": 6, "WELL_BABY_NURSERY": 8, "STEP_DOWN": 3,
    "TELEMETRY": 4, "MED_SURG": 5, "SPECIALTY_CARE": 4, "PEDIATRICS": 4, "PSYCHIATRIC": 6,
}


def unit(category: UnitCategory, override: int | None = None, grid=()) -> Unit:  # noqa: ANN001
    return Unit("U1", "Unit", category, "C1", "America/Los_Angeles",
                patients_per_nurse_override=override, unlicensed_grid=tuple(grid))


def on(staff_id: str, role: Role = Role.RN, duty: Duty = Duty.STAFF, carries: bool = True):  # noqa: ANN201
    return Assignment(staff_id, "U1", DAY, Shift.DAY, duty, carries, role)


def staffing(category: UnitCategory, census: Census, assignments=(), **unit_args):  # noqa: ANN001, ANN201
    return shift_staffing(unit=unit(category, **unit_args), rule=TABLE[category], census=census,
                          assignments=list(assignments))


def licensed(result) -> tuple[int, int, str]:  # noqa: ANN001
    line = next(line for line in result.lines if line.role == "Licensed nurse")
    return line.required, line.counted, line.rule


def test_the_ratio_table_covers_every_unit_category() -> None:
    assert set(TABLE) == set(UnitCategory)


@pytest.mark.parametrize(("category", "ratio"), DESIGN_RATIOS.items())
def test_each_category_requires_the_title_22_ratio_from_design(category: str, ratio: int) -> None:
    kind = UnitCategory(category)
    census = ratio * 3 + 1  # one patient past three full assignments needs a fourth nurse
    required, _, rule = licensed(staffing(kind, Census(census)))
    assert required == 4
    assert rule.startswith("Title 22 ") and rule.endswith(f"1:{ratio} (census {census})")


def test_the_emergency_table_holds_general_critical_care_and_trauma_limits() -> None:
    rule = TABLE[UnitCategory.EMERGENCY]
    assert [rule.per_nurse(g) for g in (PatientGroup.GENERAL, PatientGroup.CRITICAL_CARE,
                                        PatientGroup.TRAUMA)] == [4, 2, 1]


@pytest.mark.parametrize("category", list(UnitCategory))
def test_census_zero_requires_nobody(category: UnitCategory) -> None:
    grid = [GridStep(Role.CNA, 0, 10, 1)]
    result = staffing(category, Census(0), grid=grid)
    assert all(line.required == 0 for line in result.lines)


def test_icu_rule_reads_as_the_ward_says_it() -> None:
    assert licensed(staffing(UnitCategory.ICU, Census(7))) == (4, 0, "Title 22 ICU 1:2 (census 7)")


@pytest.mark.parametrize(("census", "required"), [(1, 1), (5, 1), (6, 2), (10, 2), (11, 3)])
def test_med_surg_rounds_up_at_the_boundaries(census: int, required: int) -> None:
    assert licensed(staffing(UnitCategory.MED_SURG, Census(census)))[0] == required


def test_a_charge_nurse_without_patients_is_not_counted() -> None:
    team = [on("A"), on("B"), on("C", duty=Duty.CHARGE, carries=False)]
    result = staffing(UnitCategory.ICU, Census(6), team)
    assert licensed(result)[:2] == (3, 2)
    assert "C" not in result.counted_staff_ids


def test_a_charge_nurse_carrying_patients_is_counted() -> None:
    team = [on("A"), on("B"), on("C", duty=Duty.CHARGE, carries=True)]
    assert licensed(staffing(UnitCategory.ICU, Census(6), team))[:2] == (3, 3)


@pytest.mark.parametrize("duty", [Duty.MANAGER, Duty.SUPERVISOR, Duty.EDUCATOR])
def test_managers_and_supervisors_count_only_while_carrying_patients(duty: Duty) -> None:
    assert licensed(staffing(UnitCategory.TELEMETRY, Census(4), [on("M", duty=duty,
                                                                    carries=False)]))[1] == 0
    assert licensed(staffing(UnitCategory.TELEMETRY, Census(4), [on("M", duty=duty)]))[1] == 1


def test_an_lvn_counts_as_a_licensed_nurse() -> None:
    assert licensed(staffing(UnitCategory.MED_SURG, Census(5), [on("L", Role.LVN)]))[:2] == (1, 1)


def test_the_ed_triage_nurse_is_never_counted() -> None:
    team = [on("A"), on("T", duty=Duty.TRIAGE, carries=True)]
    result = staffing(UnitCategory.EMERGENCY, Census(8), team)
    assert licensed(result)[:2] == (2, 1)
    assert "T" not in result.counted_staff_ids


def test_ed_adds_critical_care_and_trauma_nurses_per_acuity_group() -> None:
    # 9 general (1:4 → 3) + 3 critical care (1:2 → 2) + 1 trauma (1:1 → 1)
    required, _, rule = licensed(staffing(
        UnitCategory.EMERGENCY, Census(13, critical_care_patients=3, trauma_patients=1)))
    assert required == 6
    assert rule == ("Title 22 ED: general 1:4 (9) + critical care 1:2 (3) + trauma 1:1 (1)")


def test_ed_acuity_groups_larger_than_the_census_are_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        staffing(UnitCategory.EMERGENCY, Census(2, critical_care_patients=2, trauma_patients=1))
    assert "census.patients" in refused.value.violations


def test_the_or_needs_a_circulator_and_a_scrub_per_occupied_room() -> None:
    team = [on("R1"), on("R2"), on("R3"), on("T1", Role.SURGICAL_TECH)]
    lines = {line.role: line for line in staffing(
        UnitCategory.OPERATING_ROOM, Census(3, occupied_rooms=3), team).lines}
    assert (lines["RN circulator"].required, lines["RN circulator"].counted) == (3, 3)
    assert (lines["Scrub"].required, lines["Scrub"].counted, lines["Scrub"].gap) == (3, 1, 2)


def test_a_surgical_tech_can_scrub_but_never_circulate() -> None:
    team = [on("T1", Role.SURGICAL_TECH), on("T2", Role.SURGICAL_TECH)]
    lines = {line.role: line for line in staffing(
        UnitCategory.OPERATING_ROOM, Census(1, occupied_rooms=1), team).lines}
    assert lines["RN circulator"].gap == 1 and lines["Scrub"].gap == 0


def test_unlicensed_staff_follow_the_unit_grid_and_never_count_as_licensed() -> None:
    grid = [GridStep(Role.CNA, 1, 15, 1), GridStep(Role.CNA, 16, 20, 2),
            GridStep(Role.UNIT_CLERK, 1, 30, 1)]
    team = [on("A"), on("C1", Role.CNA), on("C2", Role.CNA), on("K", Role.UNIT_CLERK)]
    result = staffing(UnitCategory.MED_SURG, Census(18), team, grid=grid)
    lines = {line.role: line for line in result.lines}
    assert (lines["Licensed nurse"].required, lines["Licensed nurse"].counted) == (4, 1)
    assert (lines["CNA"].required, lines["CNA"].counted) == (2, 2)
    assert lines["CNA"].rule == "unit grid: census 16–20 → 2 CNA"
    assert (lines["Unit clerk"].required, lines["Unit clerk"].counted) == (1, 1)


def test_a_census_above_the_grid_uses_its_top_step() -> None:
    grid = [GridStep(Role.CNA, 1, 10, 1), GridStep(Role.CNA, 11, 20, 2)]
    line = staffing(UnitCategory.MED_SURG, Census(25), grid=grid).lines[-1]
    assert line.required == 2 and "above the grid's top" in line.rule


def test_a_stricter_unit_override_replaces_the_table_ratio() -> None:
    assert licensed(staffing(UnitCategory.TELEMETRY, Census(7), override=3)) == (
        3, 0, "unit override 1:3 (census 7)")


def test_a_looser_unit_override_cannot_relax_title_22() -> None:
    required, _, rule = licensed(staffing(UnitCategory.MED_SURG, Census(11), override=6))
    assert required == 3 and "not applied" in rule


def test_an_unknown_category_is_an_error_not_a_default() -> None:
    with pytest.raises(UnknownCategory):
        parse_enum(UnitCategory, "CARDIAC_SPA")


def test_a_rule_for_another_category_is_refused() -> None:
    with pytest.raises(NoRatioRule):
        shift_staffing(unit=unit(UnitCategory.ICU), rule=TABLE[UnitCategory.MED_SURG],
                       census=Census(3), assignments=[])


@given(census=st.integers(min_value=0, max_value=500), ratio=st.integers(min_value=1, max_value=8))
def test_required_nurses_is_the_smallest_count_within_the_ratio(census: int, ratio: int) -> None:
    required = required_nurses(census, ratio)
    assert required * ratio >= census
    assert (required - 1) * ratio < census
