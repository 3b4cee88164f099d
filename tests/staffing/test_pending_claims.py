"""Claims waiting for a Confirm, as the charge nurse's App Home lists them: only the units they
run, with who claimed and since when; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from clinops.clock import fixed_clock
from services.staffing import usecases
from services.staffing.eligibility import ClaimRules
from services.staffing.model import Duty
from services.staffing.store import StaffingStore
from tests.staffing.staffing_fixtures import TEAM, nurse
from tests.staffing.test_confirm_overtime_candidates import (  # noqa: F401 - fixture
    NOW,
    Certifications,
    claim,
    confirm,
    queue_unit,
    report_tomorrow,
    store,
)


def pending_for(store: StaffingStore,  # noqa: F811
                staff_id: str) -> list[usecases.PendingClaim]:
    return usecases.list_pending_claims(slack_team_id=TEAM, slack_user_id=f"U{staff_id}",
                                        store=store)


def test_the_charge_nurse_sees_a_queued_claim_with_who_and_since_when(
        store: StaffingStore) -> None:  # noqa: F811
    queue_unit(store)
    shift_id = report_tomorrow(store)
    claim(store, "S6", shift_id)
    [pending] = pending_for(store, "S1")
    assert pending.open_shift.open_shift_id == shift_id
    assert pending.claimant.display_name == "Nurse S6"
    assert pending.claim.claimed_at == NOW
    assert pending.window.starts_at > NOW


def test_a_confirmed_claim_leaves_the_list(store: StaffingStore) -> None:  # noqa: F811
    queue_unit(store)
    shift_id = report_tomorrow(store)
    claim(store, "S6", shift_id)
    confirm(store, "S6", shift_id)
    assert pending_for(store, "S1") == []


def test_a_staff_nurse_or_another_units_charge_nurse_sees_no_claims(
        store: StaffingStore) -> None:  # noqa: F811
    store.add_staff(nurse("C4", home="4W", duties=(Duty.CHARGE,)))
    queue_unit(store)
    claim(store, "S6", report_tomorrow(store))
    assert pending_for(store, "S2") == []
    assert pending_for(store, "C4") == []
    assert usecases.list_pending_claims(slack_team_id=TEAM, slack_user_id="UNOBODY",
                                        store=store) == []


def test_a_house_supervisor_sees_claims_of_every_unit_oldest_first(
        store: StaffingStore) -> None:  # noqa: F811
    store.add_staff(nurse("HS", home="4W", duties=(Duty.SUPERVISOR,)))
    queue_unit(store)
    icu = report_tomorrow(store, slots=2)
    claim(store, "S6", icu)
    later = fixed_clock(NOW + timedelta(minutes=5))
    usecases.claim_open_shift(
        open_shift_id=icu, slack_team_id=TEAM, slack_user_id="UPD", store=store, clock=later,
        certifications=Certifications(), rules=ClaimRules())
    names = [p.claimant.staff_id for p in pending_for(store, "HS")]
    assert names == ["S6", "PD"]
