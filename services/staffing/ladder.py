"""The escalation ladder of an unfilled open shift and the pre-shift gap state (pure domain).

Ladder (DESIGN.md): unit staff → float pool → incentive/premium → house supervisor → agency,
each step after a configurable wait. Instants are passed in; nothing here asks for "now".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.staffing.model import GapLine, LadderStep, OpenShift, OpenShiftState, Shift
from services.staffing.shifts import ShiftWindow, shift_window

LADDER: tuple[LadderStep, ...] = (
    LadderStep.UNIT_STAFF, LadderStep.FLOAT_POOL, LadderStep.INCENTIVE,
    LadderStep.HOUSE_SUPERVISOR, LadderStep.AGENCY,
)


def next_step(step: LadderStep) -> LadderStep | None:
    """The group asked after `step`; None at the top of the ladder (agency)."""
    index = LADDER.index(step)
    return LADDER[index + 1] if index + 1 < len(LADDER) else None


def step_entered_at(shift: OpenShift) -> datetime | None:
    """When the shift reached its current step (its first step: when it was opened)."""
    return shift.ladder_step_at or shift.created_at


def escalation_due(shift: OpenShift, *, now: datetime, wait: timedelta,
                   shift_ends_at: datetime) -> bool:
    """Open, a slot left, a step left, waited `wait` on this step, and the shift not over."""
    entered = step_entered_at(shift)
    return (shift.state is OpenShiftState.OPEN and shift.slots_filled < shift.slots
            and next_step(shift.ladder_step) is not None and entered is not None
            and now >= entered + wait and now < shift_ends_at)


def preshift_windows(now: datetime, zone: ZoneInfo, hours_before: float) -> list[ShiftWindow]:
    """Shifts of the facility starting after `now` and at most `hours_before` hours later."""
    today = now.astimezone(zone).date()
    horizon = now + timedelta(hours=hours_before)
    windows = (shift_window(today + timedelta(days=offset), shift, zone)
               for offset in (0, 1) for shift in (Shift.DAY, Shift.NIGHT))
    return [w for w in windows if now < w.starts_at <= horizon]


def gap_state(gaps: Iterable[GapLine], open_slots: Iterable[tuple[str, int]]) -> str:
    """What a pre-shift alert says, as a key: '' when nothing is short.

    The same roles short by the same numbers, and the same open slots, are the same state:
    alerted once; any change is a new state and alerts again.
    """
    parts = [f"{g.role}={g.gap}" for g in gaps if g.gap > 0]
    parts += [f"open {role}={left}" for role, left in open_slots if left > 0]
    return ";".join(sorted(parts))
