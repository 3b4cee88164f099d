"""Census, open shifts and claims through the use cases on SQLite and PostgreSQL; the race."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from clinops.clock import fixed_clock
from services.staffing import usecases
from services.staffing.eligibility import CERTIFICATIONS_UNCHECKED, CertificationAnswer, ClaimRules
from services.staffing.errors import PermissionDenied
from services.staffing.model import (
    AwardMode,
    Census,
    ClaimOutcome,
    OpenShiftState,
    Role,
    Shift,
    UnitPolicy,
)
from services.staffing.store import StaffingStore, migrate
from tests.staffing.staffing_fixtures import SHIFT_DATE, TEAM, nurse, populate

NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 10:00 in California
CLOCK = fixed_clock(NOW)
RACERS = [f"R{n:02d}" for n in range(12)]
ELIGIBLE = CertificationAnswer(True)


class Certifications:
    """A CertificationChecker answering from a table; None stands for training not answering."""

    def __init__(self, answer: CertificationAnswer | None = ELIGIBLE) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def check(self, *, staff_id, unit_id, role, window):  # noqa: ANN001, ANN201
        self.asked.append(staff_id)
        return self.answer


@pytest.fixture
def store(database_url: str) -> Iterator[StaffingStore]:
    migrate(database_url)
    opened = StaffingStore.open(database_url)
    populate(opened)
    for staff_id in RACERS:
        opened.add_staff(nurse(staff_id))
    yield opened
    opened.close()


def report(store: StaffingStore, *, slots: int = 1, shift: Shift = Shift.NIGHT):  # noqa: ANN201
    return usecases.report_gap(unit_id="ICU", role=Role.RN, slots=slots, day=SHIFT_DATE,
                               shift=shift, reason="call-out", slack_team_id=TEAM,
                               slack_user_id="US1", store=store, clock=CLOCK)


def claim(store: StaffingStore, staff_id: str, certifications=None, *,  # noqa: ANN001, ANN201
          open_shift_id: str = ""):
    """`staff_id` claims the given open shift (default: the unit's only one)."""
    return usecases.claim_open_shift(
        open_shift_id=open_shift_id or store.list_open_shifts("ICU")[0].open_shift_id,
        slack_team_id=TEAM, slack_user_id=f"U{staff_id}", store=store,
        clock=CLOCK, certifications=certifications or Certifications(), rules=ClaimRules())


def test_the_charge_nurse_records_census_and_gets_the_new_gap(store: StaffingStore) -> None:
    gaps = usecases.record_census(unit_id="icu", day=SHIFT_DATE, shift=Shift.DAY,
                                  census=Census(patients=11), slack_team_id=TEAM,
                                  slack_user_id="US1", store=store, clock=CLOCK)
    licensed = gaps.gaps[0]
    assert (licensed.required, licensed.counted, licensed.gap) == (6, 3, 3)
    assert store.get_census("ICU", SHIFT_DATE, Shift.DAY).recorded_by == "S1"


def test_a_staff_nurse_may_not_change_census_and_is_told_who_may(store: StaffingStore) -> None:
    with pytest.raises(PermissionDenied, match="Only the charge nurse or manager of ICU can "
                                               "change its census."):
        usecases.record_census(unit_id="ICU", day=SHIFT_DATE, shift=Shift.DAY,
                               census=Census(patients=2), slack_team_id=TEAM,
                               slack_user_id="US2", store=store, clock=CLOCK)
    assert store.get_census("ICU", SHIFT_DATE, Shift.DAY).patients == 7
    assert [(e.action, e.outcome) for e in store.audit_entries()] == [("census", "DENIED")]


def test_an_eligible_nurse_claims_and_the_open_shift_is_filled(store: StaffingStore) -> None:
    opened = report(store)
    result = claim(store, "S6")
    assert result.outcome is ClaimOutcome.AWARDED
    after = store.get_open_shift(opened.open_shift_id)
    assert after.state is OpenShiftState.FILLED and after.awarded == (("S6", "Nurse S6"),)
    assert [a.staff_id for a in store.assignments_for_shift("ICU", SHIFT_DATE, Shift.NIGHT)] == [
        "S6"]
    assert [(e.action, e.outcome) for e in store.audit_entries()] == [
        ("report", "OPENED"), ("award", "AWARDED")]


def test_a_claim_is_refused_naming_every_failing_rule(store: StaffingStore) -> None:
    report(store)  # tonight: S2 works today's day shift, ending 19:00
    acls = CertificationAnswer(False, ())
    result = claim(store, "S5", Certifications(acls))  # a CNA, on today's day shift too
    failed = [f.explanation for f in result.findings if not f.passed]
    assert result.outcome is ClaimOutcome.REFUSED
    assert any("RN slot" in f for f in failed)
    assert "only 0 h rest after your shift ending 19:00" in failed
    assert any("certifications not current" in f for f in failed)
    assert store.audit_entries()[-1].outcome == "REFUSED"


def test_a_claim_is_refused_while_training_cannot_be_asked(store: StaffingStore) -> None:
    report(store)
    result = claim(store, "S6", Certifications(None))
    assert result.outcome is ClaimOutcome.REFUSED
    assert [f.explanation for f in result.findings if not f.passed] == [CERTIFICATIONS_UNCHECKED]
    assert store.list_open_shifts("ICU")[0].slots_filled == 0


def test_a_queue_unit_holds_eligible_claims_for_confirmation(store: StaffingStore) -> None:
    store.set_unit_policy("ICU", UnitPolicy(award_mode=AwardMode.QUEUE))
    opened = report(store)
    assert claim(store, "S6").outcome is ClaimOutcome.QUEUED
    assert store.queued_claims(opened.open_shift_id) == ["S6"]
    assert store.get_open_shift(opened.open_shift_id).slots_filled == 0


def test_many_nurses_claiming_the_last_slot_at_once_get_exactly_one_award(
    store: StaffingStore,
) -> None:
    opened = report(store)
    start = threading.Barrier(len(RACERS))
    results: dict[str, ClaimOutcome] = {}

    def race(staff_id: str) -> None:
        start.wait()
        results[staff_id] = store.award(opened.open_shift_id, staff_id, NOW)

    threads = [threading.Thread(target=race, args=(s,)) for s in RACERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    outcomes = sorted(results.values())
    assert outcomes.count("AWARDED") == 1
    assert outcomes.count("ALREADY_FILLED") == len(RACERS) - 1
    after = store.get_open_shift(opened.open_shift_id)
    assert after.slots_filled == 1 and len(after.awarded) == 1
    assert len(store.assignments_for_shift("ICU", SHIFT_DATE, Shift.NIGHT)) == 1


def test_many_concurrent_claims_through_the_use_case_award_each_slot_once(
    store: StaffingStore,
) -> None:
    opened = report(store, slots=2)
    start = threading.Barrier(len(RACERS))
    results: list[ClaimOutcome] = []

    def race(staff_id: str) -> None:
        start.wait()
        results.append(claim(store, staff_id, open_shift_id=opened.open_shift_id).outcome)

    threads = [threading.Thread(target=race, args=(s,)) for s in RACERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results.count(ClaimOutcome.AWARDED) == 2
    assert results.count(ClaimOutcome.ALREADY_FILLED) == len(RACERS) - 2
    assert store.get_open_shift(opened.open_shift_id).state is OpenShiftState.FILLED
