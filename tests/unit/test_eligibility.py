"""Eligibility rules for claiming an open shift, each at its boundary; dates passed in."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from services.staffing.eligibility import (
    CERTIFICATIONS_UNCHECKED,
    CertificationAnswer,
    CertificationProblem,
    ClaimRules,
    WorkedShift,
    certification_findings,
    competency_finding,
    may_manage,
    overlap_finding,
    overtime_finding,
    rest_findings,
    role_finding,
)
from services.staffing.model import (
    Duty,
    EmploymentType,
    OvertimePolicy,
    Role,
    Shift,
    StaffMember,
    Unit,
    UnitCategory,
)
from services.staffing.shifts import ShiftWindow, shift_window

LA = ZoneInfo("America/Los_Angeles")
ICU = Unit("ICU", "Intensive Care", UnitCategory.ICU, "C_ICU", "America/Los_Angeles")
NIGHT = shift_window(date(2026, 11, 26), Shift.NIGHT, LA)  # Thu 19:00 → Fri 07:00
RULES = ClaimRules()


def person(role: Role = Role.RN, home: str | None = "ICU", **extra) -> StaffMember:
    return StaffMember("S1", "Nurse One", role, extra.pop("employment", EmploymentType.UNIT_STAFF),
                       home, "T1", "U1", **extra)


def worked(window: ShiftWindow, unit: str = "ICU") -> WorkedShift:
    return WorkedShift(unit, window)


def moved(window: ShiftWindow, delta: timedelta) -> WorkedShift:
    return worked(ShiftWindow(window.date, window.shift, window.starts_at + delta,
                              window.ends_at + delta))


def test_an_rn_slot_needs_an_rn_and_an_lvn_may_fill_an_lvn_slot():
    assert role_finding(Role.RN, person()).passed
    assert role_finding(Role.LVN, person(Role.LVN)).passed
    refused = role_finding(Role.RN, person(Role.LVN))
    assert not refused.passed and "RN slot" in refused.explanation


def test_home_unit_staff_and_oriented_float_pool_are_competent_others_are_not():
    assert competency_finding(ICU, person()).passed
    floater = person(home=None, employment=EmploymentType.FLOAT_POOL,
                     oriented_categories=(UnitCategory.ICU,))
    assert competency_finding(ICU, floater).passed
    med_surg = person(home="4W", oriented_categories=(UnitCategory.MED_SURG,))
    refused = competency_finding(ICU, med_surg)
    assert not refused.passed and "not oriented to ICU" in refused.explanation


def test_only_the_units_charge_nurse_or_manager_or_a_supervisor_may_manage_it():
    assert may_manage(person(duties=(Duty.CHARGE,)), ICU)
    assert may_manage(person(duties=(Duty.MANAGER,)), ICU)
    assert may_manage(person(home=None, duties=(Duty.SUPERVISOR,)), ICU)
    assert not may_manage(person(home="4W", duties=(Duty.CHARGE,)), ICU)
    assert not may_manage(person(), ICU)
    assert not may_manage(None, ICU)


def test_an_overlapping_assignment_on_any_unit_is_refused():
    day_shift = shift_window(date(2026, 11, 26), Shift.DAY, LA)
    assert overlap_finding(NIGHT, [worked(day_shift)], LA).passed  # ends 19:00, night starts 19:00
    refused = overlap_finding(NIGHT, [worked(NIGHT, "4W")], LA)
    assert not refused.passed and "already working 4W night shift 2026-11-26" in refused.explanation


def test_exactly_ten_hours_rest_before_the_shift_passes():
    previous = moved(NIGHT, -(NIGHT.ends_at - NIGHT.starts_at) - timedelta(hours=10))
    assert all(f.passed for f in rest_findings(NIGHT, [previous], LA, RULES))


def test_nine_hours_fifty_nine_minutes_rest_before_the_shift_fails():
    previous = moved(NIGHT, -(NIGHT.ends_at - NIGHT.starts_at) - timedelta(hours=9, minutes=59))
    [finding] = rest_findings(NIGHT, [previous], LA, RULES)
    assert not finding.passed
    assert finding.explanation == "only 9 h 59 min rest after your shift ending 09:01"


def test_too_little_rest_before_the_next_shift_fails_and_names_its_start():
    following = moved(NIGHT, (NIGHT.ends_at - NIGHT.starts_at) + timedelta(hours=7))
    [finding] = rest_findings(NIGHT, [following], LA, RULES)
    assert finding.explanation == "only 7 h rest before your shift starting 14:00"


def test_the_rest_minimum_is_configurable():
    previous = moved(NIGHT, -(NIGHT.ends_at - NIGHT.starts_at) - timedelta(hours=8))
    assert all(f.passed for f in rest_findings(NIGHT, [previous], LA, ClaimRules(8.0)))


def test_exactly_forty_hours_in_the_week_is_not_overtime():
    # Sunday 2026-11-22 to Saturday 2026-11-28: two 12 h and one 4 h shift, then this 12 h one.
    days = [shift_window(date(2026, 11, d), Shift.DAY, LA) for d in (23, 24)]
    short = shift_window(date(2026, 11, 25), Shift.DAY, LA)
    short = ShiftWindow(short.date, short.shift, short.starts_at,
                        short.starts_at + timedelta(hours=4))
    finding, extra = overtime_finding(NIGHT, [worked(w) for w in (*days, short)], RULES,
                                      OvertimePolicy.ALLOW, "ICU")
    assert finding.passed and extra == 0
    assert finding.explanation.startswith("40 h this week")


def test_hours_beyond_forty_are_overtime_shown_when_allowed_and_refused_when_blocked():
    days = [worked(shift_window(date(2026, 11, d), Shift.DAY, LA)) for d in (22, 23, 24)]
    allowed, extra = overtime_finding(NIGHT, days, RULES, OvertimePolicy.ALLOW, "ICU")
    assert allowed.passed and extra == 8 and "8 h overtime" in allowed.explanation
    blocked, _ = overtime_finding(NIGHT, days, RULES, OvertimePolicy.BLOCK, "ICU")
    assert not blocked.passed and "ICU does not allow overtime" in blocked.explanation


def test_shifts_in_the_previous_workweek_do_not_count_toward_this_weeks_hours():
    last_week = [worked(shift_window(date(2026, 11, d), Shift.DAY, LA)) for d in (19, 20, 21)]
    finding, extra = overtime_finding(NIGHT, last_week, RULES, OvertimePolicy.BLOCK, "ICU")
    assert finding.passed and extra == 0


def test_trainings_findings_are_named_in_its_own_words_or_ours():
    answer = CertificationAnswer(False, (
        CertificationProblem("ACLS", "EXPIRED", date(2026, 6, 30), "ACLS expired 2026-06-30"),
        CertificationProblem("BLS", "EXPIRES_BEFORE_SHIFT_END", date(2026, 11, 26)),
        CertificationProblem("PALS", "MISSING"),
    ))
    words = [f.explanation for f in certification_findings(answer)]
    assert words == ["ACLS expired 2026-06-30",
                     "BLS expires 2026-11-26, before this shift ends", "no PALS on file"]


def test_a_certification_valid_through_the_shifts_last_day_is_no_finding():
    # Training decides validity through expiry; eligible with no findings means nothing fails.
    [finding] = certification_findings(CertificationAnswer(True))
    assert finding.passed


def test_no_answer_from_training_refuses_and_never_assumes_eligible():
    [finding] = certification_findings(None)
    assert not finding.passed and finding.explanation == CERTIFICATIONS_UNCHECKED
    [vague] = certification_findings(CertificationAnswer(False))
    assert not vague.passed
