"""The demo hospital is believable, deterministic and moves with the calendar."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

import pytest

from clinops.demo.hospital import (
    DEMO_TEAM_ID,
    UNIT_BEDS,
    DemoHospital,
    build_hospital,
    reorder_point,
)

TODAY = date(2026, 11, 18)  # a Wednesday
TOMORROW = TODAY + timedelta(days=1)
# Title 22 patients per licensed nurse, for the demo's categories (ED general patients).
RATIOS = {"ICU": 2, "MED_SURG": 5, "TELEMETRY": 4, "EMERGENCY": 4, "LABOR_DELIVERY": 2,
          "PEDIATRICS": 4, "STEP_DOWN": 3}
CATEGORIES = {"ICU", "NICU", "BURN", "PACU", "LABOR_DELIVERY", "ANTEPARTUM",
              "POSTPARTUM_COUPLETS", "POSTPARTUM_MOTHERS", "WELL_BABY_NURSERY", "STEP_DOWN",
              "TELEMETRY", "MED_SURG", "SPECIALTY_CARE", "PEDIATRICS", "PSYCHIATRIC",
              "EMERGENCY", "OPERATING_ROOM"}


@pytest.fixture(scope="module")
def hospital() -> DemoHospital:
    return build_hospital(TODAY)


def shift_window(day: date, shift: str) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(7 if shift == "DAY" else 19))
    return start, start + timedelta(hours=12)


def licensed_gap(hospital: DemoHospital, unit_id: str, day: date, shift: str) -> int:
    unit = next(u for u in hospital.units if u.unit_id == unit_id)
    census = next(c for c in hospital.census
                  if (c.unit_id, c.date, c.shift) == (unit_id, day, shift))
    ratio = RATIOS[unit.category]
    if unit.category == "EMERGENCY":
        general = census.patients - census.critical_care_patients - census.trauma_patients
        required = (math.ceil(general / ratio) + math.ceil(census.critical_care_patients / 2)
                    + census.trauma_patients)
    else:
        required = math.ceil(census.patients / ratio)
    roles = {s.staff_id: s.role for s in hospital.staff}
    counted = sum(1 for a in hospital.assignments
                  if (a.unit_id, a.date, a.shift) == (unit_id, day, shift)
                  and roles[a.staff_id] in ("RN", "LVN") and a.carries_patients
                  and a.duty != "TRIAGE")
    return max(0, required - counted)


def grid_gap(hospital: DemoHospital, unit_id: str, day: date, shift: str, role: str) -> int:
    unit = next(u for u in hospital.units if u.unit_id == unit_id)
    census = next(c.patients for c in hospital.census
                  if (c.unit_id, c.date, c.shift) == (unit_id, day, shift))
    required = next((s.count for s in unit.unlicensed_grid
                     if s.role == role and s.census_from <= census <= s.census_to), 0)
    roles = {s.staff_id: s.role for s in hospital.staff}
    on = sum(1 for a in hospital.assignments
             if (a.unit_id, a.date, a.shift) == (unit_id, day, shift) and roles[a.staff_id] == role)
    return max(0, required - on)


def test_the_same_date_builds_the_same_hospital():
    assert build_hospital(TODAY) == build_hospital(TODAY)


def test_dates_move_with_today():
    later = build_hospital(TODAY + timedelta(days=40))
    # Last night (on duty until 07:00 today), today and tomorrow.
    assert {c.date for c in later.census} == {TODAY + timedelta(days=39),
                                              TODAY + timedelta(days=40),
                                              TOMORROW + timedelta(days=40)}
    assert max(c.date for c in later.consumption) == TODAY + timedelta(days=39)
    assert len(later.staff) == len(build_hospital(TODAY).staff)


def test_there_are_at_least_six_units_of_distinct_categories(hospital):
    categories = [u.category for u in hospital.units]
    assert len(hospital.units) >= 6
    assert len(set(categories)) == len(categories)
    assert set(categories) <= CATEGORIES
    assert len({u.slack_channel_id for u in hospital.units}) == len(hospital.units)


def test_two_facilities_each_unit_in_its_facilitys_zone(hospital):
    zones = {f.facility_id: f.time_zone for f in hospital.facilities}
    assert zones == {"MB": "America/Los_Angeles", "FR": "America/Denver"}
    assert all(u.time_zone == zones[u.facility_id] for u in hospital.units)
    assert [u.unit_id for u in hospital.units if u.facility_id == "FR"] == ["SDU"]


def test_there_are_70_to_90_staff_with_unique_staff_and_slack_ids(hospital):
    assert 70 <= len(hospital.staff) <= 90
    assert len({s.staff_id for s in hospital.staff}) == len(hospital.staff)
    assert len({s.slack_user_id for s in hospital.staff}) == len(hospital.staff)
    assert len({s.display_name for s in hospital.staff}) == len(hospital.staff)
    assert all(s.slack_team_id == DEMO_TEAM_ID for s in hospital.staff)
    assert all(s.slack_user_id.startswith("U") and s.slack_user_id.isupper()
               for s in hospital.staff)


def test_every_unit_has_a_manager_and_every_shift_a_charge_nurse(hospital):
    units = {u.unit_id for u in hospital.units}
    managers = Counter(s.home_unit_id for s in hospital.staff if "MANAGER" in s.duties)
    assert managers == Counter(units)
    charges = Counter((a.unit_id, a.date, a.shift) for a in hospital.assignments
                      if a.duty == "CHARGE")
    shifts = {(c.unit_id, c.date, c.shift) for c in hospital.census}
    assert charges == Counter(shifts)


def test_the_float_pool_is_oriented_to_two_or_three_categories(hospital):
    floats = [s for s in hospital.staff if s.employment_type == "FLOAT_POOL"]
    assert 6 <= len(floats) <= 10
    assert all(s.role == "RN" and s.home_unit_id is None for s in floats)
    assert all(2 <= len(s.oriented_categories) <= 3 for s in floats)


def test_every_assignment_is_to_a_known_person_unit_and_shift_with_census(hospital):
    staff_ids = {s.staff_id for s in hospital.staff}
    shifts = {(c.unit_id, c.date, c.shift) for c in hospital.census}
    for a in hospital.assignments:
        assert a.staff_id in staff_ids
        assert (a.unit_id, a.date, a.shift) in shifts


def test_nobody_works_twice_on_one_date_or_with_less_than_ten_hours_rest(hospital):
    per_person = defaultdict(list)
    for a in hospital.assignments:
        per_person[a.staff_id].append(a)
    for shifts in per_person.values():
        assert len({a.date for a in shifts}) == len(shifts)
        windows = sorted(shift_window(a.date, a.shift) for a in shifts)
        for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
            assert start - end >= timedelta(hours=10)


def test_census_fits_the_beds_and_the_ed_has_critical_and_trauma_patients(hospital):
    assert all(c.patients <= UNIT_BEDS[c.unit_id] for c in hospital.census)
    ed = [c for c in hospital.census if c.unit_id == "ED"]
    assert any(c.critical_care_patients for c in ed) and any(c.trauma_patients for c in ed)
    assert all(c.critical_care_patients + c.trauma_patients <= c.patients for c in ed)


def test_the_advertised_gaps_exist_and_every_other_shift_is_covered(hospital):
    gaps = {(c.unit_id, c.date, c.shift): licensed_gap(hospital, c.unit_id, c.date, c.shift)
            for c in hospital.census}
    assert {key: gap for key, gap in gaps.items() if gap} == {
        ("ICU", TODAY, "DAY"): 1, ("4W", TODAY, "NIGHT"): 1, ("LD", TOMORROW, "DAY"): 1,
        ("4W", TODAY - timedelta(days=1), "NIGHT"): 1,  # last night was tonight's crew
    }
    cna = {(c.unit_id, c.date, c.shift): grid_gap(hospital, c.unit_id, c.date, c.shift, "CNA")
           for c in hospital.census}
    assert {key: gap for key, gap in cna.items() if gap} == {("5T", TODAY, "DAY"): 1}
    assert not any(grid_gap(hospital, c.unit_id, c.date, c.shift, "UNIT_CLERK")
                   for c in hospital.census)


def test_the_icu_charge_nurse_today_does_not_carry_patients(hospital):
    maya = next(s for s in hospital.staff if s.display_name == "Maya Castillo")
    today = next(a for a in hospital.assignments if a.staff_id == maya.staff_id
                 and a.date == TODAY)
    assert (today.unit_id, today.shift, today.duty, today.carries_patients) == (
        "ICU", "DAY", "CHARGE", False)


def test_the_ed_has_a_triage_nurse_on_every_shift(hospital):
    triage = {(a.date, a.shift) for a in hospital.assignments
              if a.unit_id == "ED" and a.duty == "TRIAGE"}
    assert len(triage) == 5  # today's and tomorrow's four shifts, and last night's


def test_every_rn_holds_bls_and_a_licence_and_icu_rns_hold_acls(hospital):
    held = defaultdict(set)
    for c in hospital.certifications:
        held[c.staff_id].add(c.code)
    for s in hospital.staff:
        if s.role == "RN":
            assert {"BLS", "RN-CA"} <= held[s.staff_id]
        if s.role == "RN" and s.home_unit_id == "ICU":
            assert "ACLS" in held[s.staff_id]
        if s.role == "RN" and s.home_unit_id == "ED":
            assert {"ACLS", "PALS", "TNCC"} <= held[s.staff_id]
        if s.role == "RN" and s.home_unit_id == "LD":
            assert "NRP" in held[s.staff_id]


def test_certifications_include_expiring_within_30_days_and_expired_ones(hospital):
    expiring = [c for c in hospital.certifications
                if TODAY <= c.expires_on <= TODAY + timedelta(days=30)]
    expired = [c for c in hospital.certifications if c.expires_on < TODAY]
    assert 3 <= len(expiring) <= 10
    assert 2 <= len(expired) <= 6
    assert len(hospital.certifications) > 10 * (len(expiring) + len(expired))
    for c in hospital.certifications:
        assert c.issued_on < TODAY
        assert c.expires_on == _last_day(c.expires_on)


def test_expiring_certifications_exist_on_the_last_day_of_a_month():
    last_day = build_hospital(date(2026, 11, 30))
    assert any(c.expires_on == date(2026, 11, 30) for c in last_day.certifications)
    assert any(c.expires_on < date(2026, 11, 30) for c in last_day.certifications)


def test_consumption_covers_90_days_ending_yesterday(hospital):
    dates = {c.date for c in hospital.consumption}
    assert len(dates) == 90
    assert max(dates) == TODAY - timedelta(days=1)
    assert min(dates) == TODAY - timedelta(days=90)
    assert all(c.quantity >= 0 for c in hospital.consumption)


def test_weekends_use_fewer_supplies_than_weekdays_on_the_wards():
    """The weekly pattern is laid out as if today were a Thursday (the same figures every day):
    built on a Thursday, its quiet days are Saturday and Sunday."""
    thursday = date(2026, 11, 26)
    weekday, weekend = Counter(), Counter()
    for c in build_hospital(thursday).consumption:
        if c.unit_id == "4W":
            (weekend if c.date.weekday() >= 5 else weekday)[c.date] += c.quantity
    assert sum(weekend.values()) / len(weekend) < sum(weekday.values()) / len(weekday)


def test_supply_items_have_sensible_packs_and_lead_times(hospital):
    skus = {i.sku for i in hospital.items}
    assert 20 <= len(hospital.items) <= 35
    assert len(skus) == len(hospital.items)
    for item in hospital.items:
        assert 2 <= item.lead_time_days <= 7
        assert item.pack_size > 0 and item.unit_cost_cents > 0
        assert set(item.substitute_skus) <= skus - {item.sku}
    assert all(s.sku in skus for s in hospital.stock)


def test_a_few_stock_rows_are_at_or_below_their_reorder_point(hospital):
    items = {i.sku: i for i in hospital.items}
    history = defaultdict(list)
    for c in hospital.consumption:
        history[(c.unit_id, c.sku)].append(c.quantity)
    needing = []
    for s in hospital.stock:
        item = items[s.sku]
        rop = reorder_point(history[(s.unit_id, s.sku)], item.lead_time_days,
                            item.lead_time_stddev_days)
        assert s.on_hand <= s.par
        if s.on_hand + s.on_order <= rop:
            needing.append((s.unit_id, s.sku))
    assert 2 <= len(needing) <= 8


def test_featured_users_exist_and_the_first_is_an_icu_charge_nurse(hospital):
    featured = hospital.featured_users()
    assert len(featured) == 6
    first = featured[0]
    assert first.role == "RN" and first.home_unit_id == "ICU" and "CHARGE" in first.duties
    assert hospital.staff_by_slack_user(first.slack_user_id) == first
    assert hospital.staff_by_slack_user("U0NOBODY") is None
    manager, educator, floater, expired_acls, cna = featured[1:]
    assert "MANAGER" in manager.duties and "EDUCATOR" in educator.duties
    assert floater.employment_type == "FLOAT_POOL" and cna.role == "CNA"
    acls = next(c for c in hospital.certifications
                if c.staff_id == expired_acls.staff_id and c.code == "ACLS")
    assert expired_acls.home_unit_id == "ICU" and acls.expires_on < TODAY


def _last_day(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def test_last_nights_shift_is_on_duty_with_tonights_census_and_crew(hospital):
    """The demo started before 07:00 shows the night shift still on duty, not an empty one."""
    last_night = TODAY - timedelta(days=1)
    for unit in hospital.units:
        census = {c.shift: c.patients for c in hospital.census
                  if c.unit_id == unit.unit_id and c.date == last_night}
        tonight = next(c.patients for c in hospital.census if (c.unit_id, c.date, c.shift)
                       == (unit.unit_id, TODAY, "NIGHT"))
        assert census == {"NIGHT": tonight}
        crew = {(a.staff_id, a.duty) for a in hospital.assignments
                if (a.unit_id, a.date, a.shift) == (unit.unit_id, last_night, "NIGHT")}
        assert crew and crew == {(a.staff_id, a.duty) for a in hospital.assignments
                                 if (a.unit_id, a.date, a.shift)
                                 == (unit.unit_id, TODAY, "NIGHT")}


def test_the_weekly_use_pattern_gives_the_same_figures_whatever_day_it_is():
    """Reorder points and pars are the demo's advertised figures on any day it starts."""
    def figures(today: date) -> list[tuple[str, str, int]]:
        return [(s.unit_id, s.sku, s.par) for s in build_hospital(today).stock]
    assert figures(TODAY) == figures(TODAY + timedelta(days=1)) == figures(
        TODAY + timedelta(days=3))
