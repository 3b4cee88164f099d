"""Queued claims confirmed by the charge nurse, overtime shown before award, ranked candidates
and offers, through the use cases on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from clinops.clock import fixed_clock
from services.staffing import candidates, usecases
from services.staffing.eligibility import (
    CertificationAnswer,
    CertificationProblem,
    ClaimRules,
    CostTier,
)
from services.staffing.errors import InvalidInput, NotOfferable, NotQueued, PermissionDenied
from services.staffing.model import (
    Assignment,
    AwardMode,
    ClaimOutcome,
    Duty,
    EmploymentType,
    OpenShiftState,
    OvertimePolicy,
    Role,
    Shift,
    UnitPolicy,
)
from services.staffing.store import StaffingStore, migrate
from tests.staffing.staffing_fixtures import SHIFT_DATE, TEAM, nurse, populate

NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # Thursday 10:00 in California
CLOCK = fixed_clock(NOW)
TOMORROW = SHIFT_DATE + timedelta(days=1)  # Friday; its workweek runs Sunday 22 - Saturday 28
ACLS_EXPIRED = CertificationAnswer(False, (
    CertificationProblem("ACLS", "EXPIRED", date(2026, 6, 30)),))


class Certifications:
    """Training's answers by staff id (eligible unless listed)."""

    def __init__(self, answers: dict[str, CertificationAnswer] | None = None) -> None:
        self.answers = answers or {}
        self.asked: list[str] = []

    def check(self, *, staff_id, unit_id, role, window):  # noqa: ANN001, ANN201
        self.asked.append(staff_id)
        return self.answers.get(staff_id, CertificationAnswer(True))


@pytest.fixture
def store(database_url: str) -> Iterator[StaffingStore]:
    migrate(database_url)
    opened = StaffingStore.open(database_url)
    populate(opened)
    opened.add_staff(nurse("PD", home="ICU", employment_type=EmploymentType.PER_DIEM))
    opened.add_staff(nurse("AG", home="ICU", employment_type=EmploymentType.AGENCY))
    opened.add_staff(nurse("OT", home="ICU"))
    opened.add_staff(nurse("MW", home="4W"))  # a 4W nurse, not oriented to the ICU
    for day in (date(2026, 11, 22), date(2026, 11, 23), date(2026, 11, 24)):
        opened.add_assignment(Assignment("OT", "ICU", day, Shift.DAY, Duty.STAFF, True))
    yield opened
    opened.close()


def report_tomorrow(store: StaffingStore, *, slots: int = 1) -> str:
    opened = usecases.report_gap(unit_id="ICU", role=Role.RN, slots=slots, day=TOMORROW,
                                 shift=Shift.DAY, reason="call-out", slack_team_id=TEAM,
                                 slack_user_id="US1", store=store, clock=CLOCK)
    return opened.open_shift_id


def claim(store: StaffingStore, staff_id: str, open_shift_id: str, *,
          accept_overtime: bool = False,
          certifications: Certifications | None = None) -> usecases.ClaimResult:
    return usecases.claim_open_shift(
        open_shift_id=open_shift_id, slack_team_id=TEAM, slack_user_id=f"U{staff_id}",
        store=store, clock=CLOCK, certifications=certifications or Certifications(),
        rules=ClaimRules(), accept_overtime=accept_overtime)


def confirm(store: StaffingStore, staff_id: str, open_shift_id: str, *, by: str = "S1",
            certifications: Certifications | None = None) -> usecases.ClaimResult:
    return usecases.confirm_claim(
        open_shift_id=open_shift_id, staff_id=staff_id, slack_team_id=TEAM,
        slack_user_id=f"U{by}", store=store, clock=CLOCK,
        certifications=certifications or Certifications(), rules=ClaimRules())


def queue_unit(store: StaffingStore) -> None:
    store.set_unit_policy("ICU", UnitPolicy(award_mode=AwardMode.QUEUE))


def test_the_charge_nurse_confirms_a_queued_claim_and_it_is_awarded(store: StaffingStore) -> None:
    queue_unit(store)
    shift_id = report_tomorrow(store)
    assert claim(store, "S6", shift_id).outcome is ClaimOutcome.QUEUED
    result = confirm(store, "S6", shift_id)
    assert result.outcome is ClaimOutcome.AWARDED and result.claimant.staff_id == "S6"
    after = store.get_open_shift(shift_id)
    assert after.state is OpenShiftState.FILLED and after.awarded == (("S6", "Nurse S6"),)
    assert store.queued_claims(shift_id) == []
    confirmed = store.audit_entries()[-1]
    assert (confirmed.action, confirmed.outcome, confirmed.actor_staff_id) == (
        "award", "AWARDED", "S1")


def test_a_staff_nurse_cannot_confirm_a_claim_and_is_told_who_can(store: StaffingStore) -> None:
    queue_unit(store)
    shift_id = report_tomorrow(store)
    claim(store, "S6", shift_id)
    with pytest.raises(PermissionDenied, match="Only the charge nurse or manager of ICU"):
        confirm(store, "S6", shift_id, by="S2")
    assert store.get_open_shift(shift_id).slots_filled == 0
    assert store.audit_entries()[-1].outcome == "DENIED"


def test_confirm_rechecks_eligibility_and_refuses_an_expired_acls(store: StaffingStore) -> None:
    queue_unit(store)
    shift_id = report_tomorrow(store)
    claim(store, "S6", shift_id)
    result = confirm(store, "S6", shift_id,
                     certifications=Certifications({"S6": ACLS_EXPIRED}))
    assert result.outcome is ClaimOutcome.REFUSED
    assert "ACLS expired 2026-06-30" in [f.explanation for f in result.findings if not f.passed]
    assert store.get_open_shift(shift_id).slots_filled == 0


def test_confirming_a_second_claim_for_a_filled_slot_says_already_filled(
    store: StaffingStore,
) -> None:
    queue_unit(store)
    shift_id = report_tomorrow(store)
    claim(store, "S6", shift_id)
    claim(store, "PD", shift_id)
    assert confirm(store, "S6", shift_id).outcome is ClaimOutcome.AWARDED
    assert confirm(store, "PD", shift_id).outcome is ClaimOutcome.ALREADY_FILLED
    assert store.get_open_shift(shift_id).awarded == (("S6", "Nurse S6"),)


def test_a_second_click_on_confirm_keeps_the_one_award(store: StaffingStore) -> None:
    queue_unit(store)
    shift_id = report_tomorrow(store)
    claim(store, "S6", shift_id)
    confirm(store, "S6", shift_id)
    with pytest.raises(NotQueued, match="already confirmed"):
        confirm(store, "S6", shift_id)
    assert store.get_open_shift(shift_id).slots_filled == 1


def test_confirming_someone_who_never_claimed_is_refused(store: StaffingStore) -> None:
    queue_unit(store)
    shift_id = report_tomorrow(store)
    with pytest.raises(NotQueued, match="Nurse PD has no claim waiting"):
        confirm(store, "PD", shift_id)
    with pytest.raises(InvalidInput) as missing:
        confirm(store, "", shift_id)
    assert missing.value.violations == {"staff_id": "required"}


def test_overtime_is_shown_before_award_and_only_an_accepted_claim_is_awarded(
    store: StaffingStore,
) -> None:
    shift_id = report_tomorrow(store)
    first = claim(store, "OT", shift_id)
    assert first.outcome is ClaimOutcome.OVERTIME_NOT_ACCEPTED
    assert (first.overtime_hours, first.hours_this_week) == (8.0, 48.0)
    assert store.get_open_shift(shift_id).slots_filled == 0
    assert store.audit_entries()[-1].outcome == "OVERTIME_SHOWN"
    second = claim(store, "OT", shift_id, accept_overtime=True)
    assert second.outcome is ClaimOutcome.AWARDED and second.overtime_hours == 8.0
    assert store.get_open_shift(shift_id).awarded == (("OT", "Nurse OT"),)


def test_a_claim_within_the_weekly_threshold_is_awarded_on_the_first_click(
    store: StaffingStore,
) -> None:
    shift_id = report_tomorrow(store)
    result = claim(store, "S2", shift_id)  # 12 h today + 12 h tomorrow
    assert result.outcome is ClaimOutcome.AWARDED and result.hours_this_week == 24.0


def test_overtime_on_a_unit_that_blocks_it_is_refused_with_the_reason(
    store: StaffingStore,
) -> None:
    store.set_unit_policy("ICU", UnitPolicy(overtime=OvertimePolicy.BLOCK))
    shift_id = report_tomorrow(store)
    result = claim(store, "OT", shift_id, accept_overtime=True)
    assert result.outcome is ClaimOutcome.REFUSED
    assert [f.explanation for f in result.findings if not f.passed] == [
        "48 h this week: 8 h overtime, and ICU does not allow overtime"]


def test_accepted_overtime_on_a_queue_unit_waits_for_the_charge_nurse(
    store: StaffingStore,
) -> None:
    queue_unit(store)
    shift_id = report_tomorrow(store)
    assert claim(store, "OT", shift_id).outcome is ClaimOutcome.OVERTIME_NOT_ACCEPTED
    assert store.queued_claims(shift_id) == []
    assert claim(store, "OT", shift_id, accept_overtime=True).outcome is ClaimOutcome.QUEUED
    assert confirm(store, "OT", shift_id).outcome is ClaimOutcome.AWARDED


def list_candidates(store: StaffingStore, *, by: str = "S1", day: date = TOMORROW,
                    certifications: Certifications | None = None) -> candidates.Candidates:
    return candidates.list_candidates(
        open_shift_id="", unit_id="icu", day=day, shift=Shift.DAY, slack_team_id=TEAM,
        slack_user_id=f"U{by}", store=store, clock=CLOCK,
        certifications=certifications or Certifications(), rules=ClaimRules())


def test_candidates_are_ranked_unit_staff_float_pool_per_diem_overtime_agency(
    store: StaffingStore,
) -> None:
    report_tomorrow(store)
    found = list_candidates(store, certifications=Certifications({"S4": ACLS_EXPIRED}))
    ranked = [(c.member.staff_id, c.cost_tier) for c in found.candidates]
    assert ranked == [
        ("S1", CostTier.UNIT_STAFF), ("S2", CostTier.UNIT_STAFF), ("S3", CostTier.UNIT_STAFF),
        ("S6", CostTier.FLOAT_POOL), ("PD", CostTier.PER_DIEM), ("OT", CostTier.OVERTIME),
        ("AG", CostTier.AGENCY),
    ]  # S4: ACLS expired; S5 is a CNA; MW is not oriented to the ICU
    s2 = found.candidates[1]
    assert (s2.hours_this_week, s2.rest_hours_before) == (12.0, 12.0)
    overtime = found.candidates[5]
    assert (overtime.hours_this_week, overtime.overtime_hours) == (36.0, 8.0)
    assert found.candidates[3].rest_hours_before is None


def test_candidates_are_only_for_the_charge_nurse_or_manager(store: StaffingStore) -> None:
    report_tomorrow(store)
    with pytest.raises(PermissionDenied, match="see candidates"):
        list_candidates(store, by="S2")


def test_a_window_without_an_open_shift_has_no_candidates(store: StaffingStore) -> None:
    report_tomorrow(store)
    found = list_candidates(store, day=SHIFT_DATE)
    assert found.open_shifts == () and found.candidates == ()
    assert found.window.date == SHIFT_DATE and found.unit.unit_id == "ICU"


def test_the_charge_nurse_offers_an_open_shift_and_the_offer_is_audited(
    store: StaffingStore,
) -> None:
    shift_id = report_tomorrow(store)
    shift, member = candidates.offer_open_shift(
        open_shift_id=shift_id, staff_id="S6", slack_team_id=TEAM, slack_user_id="US1",
        store=store, clock=CLOCK)
    assert shift.open_shift_id == shift_id and member.slack_user_id == "US6"
    assert (store.audit_entries()[-1].action, store.audit_entries()[-1].outcome) == (
        "offer", "OFFERED")
    with pytest.raises(PermissionDenied):
        candidates.offer_open_shift(open_shift_id=shift_id, staff_id="S6", slack_team_id=TEAM,
                                    slack_user_id="US2", store=store, clock=CLOCK)


def test_a_filled_shift_cannot_be_offered(store: StaffingStore) -> None:
    shift_id = report_tomorrow(store)
    claim(store, "S2", shift_id)
    with pytest.raises(NotOfferable, match="already filled"):
        candidates.offer_open_shift(open_shift_id=shift_id, staff_id="S6", slack_team_id=TEAM,
                                    slack_user_id="US1", store=store, clock=CLOCK)
