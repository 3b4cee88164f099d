"""Cancelling an open shift through the use cases on SQLite and PostgreSQL: only the unit's
charge nurse or manager, once, audited; claims afterwards are answered "cancelled" and the
escalation ladder stops."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from clinops.clock import fixed_clock
from services.staffing import usecases
from services.staffing.eligibility import CertificationAnswer, ClaimRules
from services.staffing.errors import NotCancellable, PermissionDenied
from services.staffing.escalation import advance_escalations
from services.staffing.model import ClaimOutcome, OpenShiftState, Role, Shift
from services.staffing.store import StaffingStore, migrate
from tests.staffing.staffing_fixtures import SHIFT_DATE, TEAM, populate

NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 10:00 in California
CLOCK = fixed_clock(NOW)


class Certifications:
    def check(self, **_: object) -> CertificationAnswer:
        return CertificationAnswer(True)


@pytest.fixture
def store(database_url: str) -> Iterator[StaffingStore]:
    migrate(database_url)
    opened = StaffingStore.open(database_url)
    populate(opened)
    yield opened
    opened.close()


def report(store: StaffingStore, slots: int = 1) -> str:
    return usecases.report_gap(unit_id="ICU", role=Role.RN, slots=slots, day=SHIFT_DATE,
                               shift=Shift.NIGHT, reason="call-out", slack_team_id=TEAM,
                               slack_user_id="US1", store=store, clock=CLOCK).open_shift_id


def cancel(store: StaffingStore, open_shift_id: str, user: str = "US1",
           clock=CLOCK) -> usecases.CancelResult:  # noqa: ANN001
    return usecases.cancel_open_shift(open_shift_id=open_shift_id, slack_team_id=TEAM,
                                      slack_user_id=user, store=store, clock=clock)


def claim(store: StaffingStore, open_shift_id: str, staff_id: str) -> usecases.ClaimResult:
    return usecases.claim_open_shift(
        open_shift_id=open_shift_id, slack_team_id=TEAM, slack_user_id=f"U{staff_id}",
        store=store, clock=CLOCK, certifications=Certifications(), rules=ClaimRules())


def test_the_charge_nurse_cancels_an_open_shift_and_it_records_who_and_when(
    store: StaffingStore,
) -> None:
    shift_id = report(store)
    result = cancel(store, shift_id)
    assert result.cancelled
    shift = result.open_shift
    assert shift.state is OpenShiftState.CANCELLED
    assert (shift.cancelled_by_slack_user_id, shift.cancelled_at) == ("US1", NOW)
    assert shift.cancelled_by
    assert store.list_open_shifts("ICU") == []
    entry = store.audit_entries()[-1]
    assert (entry.action, entry.outcome, entry.actor_staff_id) == ("cancel", "CANCELLED", "S1")


def test_a_second_cancel_changes_nothing_and_says_so(store: StaffingStore) -> None:
    shift_id = report(store)
    cancel(store, shift_id)
    later = fixed_clock(NOW + timedelta(minutes=5))
    again = cancel(store, shift_id, clock=later)
    assert not again.cancelled
    assert again.open_shift.cancelled_at == NOW
    assert store.audit_entries()[-1].outcome == "ALREADY_CANCELLED"


def test_a_staff_nurse_may_not_cancel_and_the_attempt_is_audited(store: StaffingStore) -> None:
    shift_id = report(store)
    with pytest.raises(PermissionDenied, match="charge nurse or manager of ICU"):
        cancel(store, shift_id, user="US2")
    assert store.get_open_shift(shift_id).state is OpenShiftState.OPEN
    entry = store.audit_entries()[-1]
    assert (entry.action, entry.outcome, entry.actor_user_id) == ("cancel", "DENIED", "US2")


def test_a_claim_on_a_cancelled_shift_is_answered_cancelled_and_awards_nothing(
    store: StaffingStore,
) -> None:
    shift_id = report(store)
    cancel(store, shift_id)
    answer = claim(store, shift_id, "S2")
    assert answer.outcome is ClaimOutcome.CANCELLED
    assert store.get_open_shift(shift_id).slots_filled == 0
    assert store.audit_entries()[-1].outcome == "CANCELLED"


def test_a_filled_shift_cannot_be_cancelled(store: StaffingStore) -> None:
    shift_id = report(store)
    assert claim(store, shift_id, "S6").outcome is ClaimOutcome.AWARDED
    with pytest.raises(NotCancellable, match="nothing to cancel"):
        cancel(store, shift_id)
    assert store.get_open_shift(shift_id).state is OpenShiftState.FILLED


def test_cancelling_a_partly_filled_shift_keeps_the_award(store: StaffingStore) -> None:
    shift_id = report(store, slots=2)
    claim(store, shift_id, "S6")
    result = cancel(store, shift_id)
    assert result.cancelled and result.open_shift.slots_filled == 1
    assert [staff for staff, _ in result.open_shift.awarded] == ["S6"]


def test_the_ladder_stops_once_cancelled(store: StaffingStore) -> None:
    shift_id = report(store)
    cancel(store, shift_id)
    moved = advance_escalations(wait=timedelta(minutes=30), store=store,
                                clock=fixed_clock(NOW + timedelta(hours=2)),
                                certifications=Certifications(), rules=ClaimRules())
    assert moved == []
