"""The weekly unit digest: what the services say about a unit's week, in numbers, text and charts.

Shared by `/clinops report <unit>` (bound, async service clients) and the weekly scheduler job
(blocking stubs): each passes the three questions as async functions, so the gathering, the text
and the pictures are the same for both. Aggregates only: counts and percentages, never a name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import charts

DAY, NIGHT = "day", "night"
PAST_DAYS = 7
PAST_WEEKS = 8

# (date, "day"|"night") -> licensed/unlicensed staff short, None when no census was recorded.
GapOf = Callable[[date, str], Awaitable[int | None]]
# date -> (staff count, fully compliant) on that date.
ComplianceOn = Callable[[date], Awaitable[tuple[int, int]]]
# (approved spend this month, monthly budget) in cents, as supplies counts the facility's month.
BudgetOf = Callable[[], Awaitable[tuple[int, int]]]


@dataclass(frozen=True)
class UnitDigest:
    """A unit's week in numbers."""

    unit_id: str
    today: date
    shift_gaps: list[tuple[date, str, int | None]]
    compliance: list[tuple[date, int, int]]
    month: str
    spent_cents: int
    budget_cents: int

    @property
    def short_shifts(self) -> int:
        return sum(1 for _, _, gap in self.shift_gaps if gap)

    @property
    def staff_short(self) -> int:
        return sum(gap or 0 for _, _, gap in self.shift_gaps)


def percent(staff: int, compliant: int) -> float | None:
    return None if staff == 0 else 100.0 * compliant / staff


async def gather(*, unit_id: str, today: date, gap_of: GapOf, compliance_on: ComplianceOn,
                 budget_of: BudgetOf) -> UnitDigest:
    """Ask for the past 7 days' shifts, 8 week-ends' compliance and this month's spend."""
    days = [today - timedelta(days=n) for n in range(PAST_DAYS, 0, -1)]
    shifts = [(day, shift) for day in days for shift in (DAY, NIGHT)]
    week_ends = [today - timedelta(weeks=n) for n in range(PAST_WEEKS - 1, -1, -1)]
    gaps, compliance, (spent, budget) = await asyncio.gather(
        asyncio.gather(*(gap_of(day, shift) for day, shift in shifts)),
        asyncio.gather(*(compliance_on(day) for day in week_ends)),
        budget_of())
    return UnitDigest(
        unit_id=unit_id, today=today,
        shift_gaps=[(day, shift, gap) for (day, shift), gap in zip(shifts, gaps, strict=True)],
        compliance=[(day, staff, ok) for day, (staff, ok) in zip(week_ends, compliance,
                                                                   strict=True)],
        month=today.strftime("%B %Y"), spent_cents=spent, budget_cents=budget)


def digest_text(digest: UnitDigest) -> str:
    """The lines above the charts: 'ICU weekly digest (7 days to 2026-11-26) …'."""
    lines = [f"*{digest.unit_id} weekly digest* (7 days to {digest.today.isoformat()})"]
    shifts = len(digest.shift_gaps)
    if digest.short_shifts:
        lines.append(f"• Staffing: {digest.short_shifts} of {shifts} shifts short, "
                     f"{digest.staff_short} staff short in all.")
    else:
        lines.append(f"• Staffing: no shift short in the past {PAST_DAYS} days.")
    _, staff, compliant = digest.compliance[-1]
    now = percent(staff, compliant)
    lines.append("• Certifications: no staff on file." if now is None else
                 f"• Certifications: {now:.0f}% fully compliant ({compliant} of {staff}).")
    spent = f"${digest.spent_cents / 100:,.0f}"
    if digest.budget_cents:
        share = 100 * digest.spent_cents / digest.budget_cents
        lines.append(f"• Supplies: {spent} approved in {digest.month}, {share:.0f}% of the "
                     f"${digest.budget_cents / 100:,.0f} budget.")
    else:
        lines.append(f"• Supplies: {spent} approved in {digest.month} (no budget on file).")
    return "\n".join(lines)


def chart_files(digest: UnitDigest) -> list[dict]:
    """The three PNGs as `files_upload_v2` file_uploads entries."""
    unit = digest.unit_id
    stamp = digest.today.isoformat()
    gap_bars = [(f"{day.strftime('%a %d')} {shift}", gap)
                for day, shift, gap in digest.shift_gaps]
    weeks = [(day, percent(staff, ok)) for day, staff, ok in digest.compliance]
    return [
        {"filename": f"{unit}-staffing-gap-{stamp}.png", "title": f"{unit} staffing gap by shift",
         "content": charts.staffing_gap_chart(unit, gap_bars)},
        {"filename": f"{unit}-compliance-{stamp}.png", "title": f"{unit} certification compliance",
         "content": charts.compliance_chart(unit, weeks)},
        {"filename": f"{unit}-spend-{stamp}.png", "title": f"{unit} supply spend vs budget",
         "content": charts.spend_chart(unit, digest.month, digest.spent_cents,
                                       digest.budget_cents)},
    ]


def local_today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()
