"""The escalation ladder and pre-shift alerts through the use cases on SQLite and PostgreSQL,
under a clock the test moves (never sleeps on)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from services.staffing import escalation, usecases
from services.staffing.eligibility import CertificationAnswer, ClaimRules
from services.staffing.errors import InvalidInput
from services.staffing.model import (
    Assignment,
    Census,
    ClaimOutcome,
    Duty,
    LadderStep,
    OpenShiftState,
    Role,
    Shift,
)
from services.staffing.store import StaffingStore, migrate
from tests.staffing.staffing_fixtures import SHIFT_DATE, TEAM, nurse, populate

OPENED = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 10:00 in California
WAIT = timedelta(minutes=30)
NIGHT_ALERT = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 17:00 in California: 2 h before 19:00


class MovableClock:
    """A clock the test sets; every use case reads it, nothing waits on it."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant

    def at(self, instant: datetime) -> MovableClock:
        self.instant = instant
        return self


class Certifications:
    def check(self, **_: object) -> CertificationAnswer:
        return CertificationAnswer(True)


@pytest.fixture
def store(database_url: str) -> Iterator[StaffingStore]:
    migrate(database_url)
    opened = StaffingStore.open(database_url)
    populate(opened)
    opened.add_staff(nurse("H1", home=None, duties=(Duty.SUPERVISOR,)))
    yield opened
    opened.close()


def report(store: StaffingStore, clock: MovableClock) -> str:
    """The ICU charge nurse reports a night-shift call-out at OPENED."""
    clock.at(OPENED)
    opened = usecases.report_gap(unit_id="ICU", role=Role.RN, slots=1, day=SHIFT_DATE,
                                 shift=Shift.NIGHT, reason="call-out", slack_team_id=TEAM,
                                 slack_user_id="US1", store=store, clock=clock)
    return opened.open_shift_id


def advance(store: StaffingStore, clock: MovableClock, after: timedelta
            ) -> list[escalation.Escalation]:
    clock.at(OPENED + after)
    return escalation.advance_escalations(wait=WAIT, store=store, clock=clock,
                                          certifications=Certifications(), rules=ClaimRules())


def steps(moved: list[escalation.Escalation]) -> list[LadderStep]:
    return [e.open_shift.ladder_step for e in moved]


def test_an_unfilled_shift_climbs_one_step_each_time_its_wait_is_up(store) -> None:  # noqa: ANN001
    clock = MovableClock(OPENED)
    report(store, clock)
    m = timedelta(minutes=1)
    assert advance(store, clock, 30 * m - timedelta(seconds=1)) == []
    to_float = advance(store, clock, 30 * m)
    assert steps(to_float) == [LadderStep.FLOAT_POOL]
    assert to_float[0].from_step is LadderStep.UNIT_STAFF and to_float[0].waited == WAIT
    # S6 is the float-pool RN oriented to ICU; the supervisor is not float pool.
    assert [n.staff_id for n in to_float[0].notify] == ["S6"]
    assert advance(store, clock, 59 * m) == []
    assert steps(advance(store, clock, 60 * m)) == [LadderStep.INCENTIVE]
    to_supervisor = advance(store, clock, 90 * m)
    assert steps(to_supervisor) == [LadderStep.HOUSE_SUPERVISOR]
    assert [n.slack_user_id for n in to_supervisor[0].notify] == ["UH1"]
    assert steps(advance(store, clock, 120 * m)) == [LadderStep.AGENCY]
    assert advance(store, clock, 300 * m) == []  # agency is the top of the ladder
    escalations = [(e.action, e.outcome) for e in store.audit_entries() if e.action == "escalate"]
    assert escalations == [("escalate", "FLOAT_POOL"), ("escalate", "INCENTIVE"),
                           ("escalate", "HOUSE_SUPERVISOR"), ("escalate", "AGENCY")]


def test_a_second_advance_for_the_same_due_time_moves_nothing(store) -> None:  # noqa: ANN001
    clock = MovableClock(OPENED)
    report(store, clock)
    assert len(advance(store, clock, WAIT)) == 1
    assert advance(store, clock, WAIT) == []
    assert sum(e.action == "escalate" for e in store.audit_entries()) == 1


def test_the_ladder_stops_once_the_shift_is_filled(store) -> None:  # noqa: ANN001
    clock = MovableClock(OPENED)
    open_shift_id = report(store, clock)
    advance(store, clock, WAIT)
    clock.at(OPENED + timedelta(minutes=45))
    claimed = usecases.claim_open_shift(
        open_shift_id=open_shift_id, slack_team_id=TEAM, slack_user_id="US6", store=store,
        clock=clock, certifications=Certifications(), rules=ClaimRules())
    assert claimed.outcome is ClaimOutcome.AWARDED
    assert advance(store, clock, timedelta(hours=1)) == []
    after = store.get_open_shift(open_shift_id)
    assert after.state is OpenShiftState.FILLED and after.ladder_step is LadderStep.FLOAT_POOL


def test_no_step_is_taken_once_the_shift_is_over(store) -> None:  # noqa: ANN001
    clock = MovableClock(OPENED)
    report(store, clock)
    # The night shift of 2026-11-26 ends 07:00 on the 27th in California (15:00 UTC).
    clock.at(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    assert escalation.advance_escalations(wait=WAIT, store=store, clock=clock,
                                          certifications=Certifications(),
                                          rules=ClaimRules()) == []


def test_two_schedulers_advancing_at_once_move_the_shift_one_step(store) -> None:  # noqa: ANN001
    clock = MovableClock(OPENED)
    open_shift_id = report(store, clock)
    clock.at(OPENED + WAIT)
    racers = 4
    start = threading.Barrier(racers)
    results: list[list[escalation.Escalation]] = []

    def race() -> None:
        start.wait(timeout=30)
        results.append(escalation.advance_escalations(
            wait=WAIT, store=store, clock=clock, certifications=Certifications(),
            rules=ClaimRules()))

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == racers
    assert sorted(len(r) for r in results) == [0] * (racers - 1) + [1]
    assert store.get_open_shift(open_shift_id).ladder_step is LadderStep.FLOAT_POOL
    assert sum(e.action == "escalate" for e in store.audit_entries()) == 1


# ---- pre-shift alerts ----------------------------------------------------------------------------


def claim_alerts(store: StaffingStore, at: datetime, hours: float = 2.0
                 ) -> list[escalation.PreShiftAlert]:
    return escalation.claim_preshift_alerts(hours_before=hours, store=store,
                                            clock=MovableClock(at))


def night_census(store: StaffingStore, patients: int) -> None:
    store.record_census("ICU", SHIFT_DATE, Shift.NIGHT, Census(patients=patients))


def test_a_gap_is_alerted_once_when_the_shift_is_hours_away(store) -> None:  # noqa: ANN001
    night_census(store, 4)  # 2 RNs and a CNA needed, nobody on the night shift yet
    assert claim_alerts(store, NIGHT_ALERT - timedelta(seconds=1)) == []
    (alert,) = claim_alerts(store, NIGHT_ALERT)
    assert (alert.unit.unit_id, alert.window.shift) == ("ICU", Shift.NIGHT)
    assert [(g.role, g.gap) for g in alert.gaps] == [("Licensed nurse", 2), ("CNA", 1)]
    assert claim_alerts(store, NIGHT_ALERT + timedelta(minutes=5)) == []
    assert claim_alerts(store, NIGHT_ALERT + timedelta(minutes=90)) == []


def test_a_changed_gap_is_alerted_again(store) -> None:  # noqa: ANN001
    night_census(store, 4)
    assert len(claim_alerts(store, NIGHT_ALERT)) == 1
    night_census(store, 6)  # one more RN short
    (again,) = claim_alerts(store, NIGHT_ALERT + timedelta(minutes=5))
    assert [(g.role, g.gap) for g in again.gaps] == [("Licensed nurse", 3), ("CNA", 1)]
    assert [e.outcome for e in store.audit_entries() if e.action == "preshift"] == [
        "ALERTED", "ALERTED"]


def test_an_unfilled_open_shift_is_part_of_the_gap(store) -> None:  # noqa: ANN001
    clock = MovableClock(OPENED)
    open_shift_id = report(store, clock)  # no census for the night: only the call-out
    (alert,) = claim_alerts(store, NIGHT_ALERT)
    assert alert.gaps == () and [s.open_shift_id for s in alert.open_shifts] == [open_shift_id]
    assert alert.gap_state == "open RN=1"


def test_a_fully_staffed_shift_is_never_alerted(store) -> None:  # noqa: ANN001
    night_census(store, 2)  # 1 RN and 1 CNA needed
    store.add_assignment(Assignment("S2", "ICU", SHIFT_DATE, Shift.NIGHT, Duty.STAFF, True))
    store.add_assignment(Assignment("S5", "ICU", SHIFT_DATE, Shift.NIGHT, Duty.STAFF, True))
    assert claim_alerts(store, NIGHT_ALERT) == []
    assert claim_alerts(store, NIGHT_ALERT + timedelta(minutes=5)) == []
    # The gap opening later is a new state: alerted.
    store.remove_assignments("ICU", SHIFT_DATE, Shift.NIGHT)
    assert len(claim_alerts(store, NIGHT_ALERT + timedelta(minutes=10))) == 1


def test_a_released_alert_is_handed_out_again(store) -> None:  # noqa: ANN001
    night_census(store, 4)
    (alert,) = claim_alerts(store, NIGHT_ALERT)
    assert escalation.release_preshift_alert(
        unit_id="icu", day=SHIFT_DATE, shift=Shift.NIGHT, gap_state=alert.gap_state,
        store=store, clock=MovableClock(NIGHT_ALERT))
    assert len(claim_alerts(store, NIGHT_ALERT + timedelta(minutes=5))) == 1


def test_hours_before_out_of_range_is_refused_naming_the_field(store) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput) as refused:
        claim_alerts(store, NIGHT_ALERT, hours=0)
    assert "hours_before" in refused.value.violations
