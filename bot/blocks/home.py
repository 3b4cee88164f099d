"""The App Home tab: my next shifts, my certifications, my pending approvals and, for managers,
a readiness card per unit. Pure: data in, a Block Kit home view out.

A part whose service did not answer arrives as None and reads "not available", so one service
being down never blanks the whole tab.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks.certs import days_left_text, iso
from clinops.staffing.v1 import staffing_pb2
from clinops.supplies.v1 import supplies_pb2
from clinops.training.v1 import training_pb2

NOT_AVAILABLE = "_not available right now_"
MAX_SHIFTS = 5


@dataclass(frozen=True)
class ShiftGapLine:
    """One upcoming shift of a unit: its label and the licensed-nurse gap (None: unknown)."""

    label: str
    gap: int | None


@dataclass(frozen=True)
class UnitReadiness:
    """A manager's card: the next two shifts' gaps, compliance, items at/below reorder point,
    and supply spend this month against the unit's budget (month named like "November").

    Each part is None when its service did not answer.
    """

    unit_id: str
    unit_name: str
    shifts: tuple[ShiftGapLine, ...] | None = None
    compliant: int | None = None
    staff_count: int | None = None
    low_items: tuple[str, ...] | None = None
    month: str = ""
    spent_cents: int | None = None
    budget_cents: int | None = None


@dataclass(frozen=True)
class Home:
    """Everything the tab shows for one person; None marks a service that did not answer."""

    display_name: str = ""
    shifts: list[staffing_pb2.Assignment] | None = None
    records: list[training_pb2.CertificationRecord] | None = None
    proposals: list[supplies_pb2.Proposal] | None = None
    claims: list[staffing_pb2.PendingClaim] | None = None
    renewals: list[training_pb2.Renewal] | None = None
    readiness: list[UnitReadiness] = field(default_factory=list)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def shift_line(assignment: staffing_pb2.Assignment, zone: ZoneInfo) -> str:
    """'• Tue 2026-12-01 07:00–19:00 · ICU (day)'."""
    window = assignment.window
    starts = window.starts_at.ToDatetime().replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    ends = window.ends_at.ToDatetime().replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    shift = {1: "day", 2: "night"}.get(window.shift, "shift")
    return (f"• {starts:%a %Y-%m-%d %H:%M}–{ends:%H:%M} · {assignment.unit_id} ({shift})")


def certification_line(record: training_pb2.CertificationRecord) -> str:
    """'• BLS — valid through 2027-03-31, 120 days left' (flagged when close or lapsed)."""
    flag = ":x: " if record.days_left < 0 else ":warning: " if record.days_left <= 30 else ""
    return (f"• {flag}*{record.certification_code}* — valid through {iso(record.expires_on)}, "
            f"{days_left_text(record.days_left)}")


def proposal_line(proposal: supplies_pb2.Proposal) -> str:
    """'• Reorder for ICU: 3 items, $412.50 (escalated to you)'."""
    items = len(proposal.lines)
    escalated = " (escalated to you)" if proposal.state == supplies_pb2.PROPOSAL_STATE_ESCALATED \
        else ""
    return (f"• Reorder for {proposal.unit_id}: {items} item{'s' if items != 1 else ''}, "
            f"${proposal.total_cents / 100:,.2f}{escalated} — decide in the unit channel's post")


def _local(stamp, zone: ZoneInfo) -> str:  # noqa: ANN001 - a protobuf Timestamp
    return f"{stamp.ToDatetime().replace(tzinfo=ZoneInfo('UTC')).astimezone(zone):%m-%d %H:%M}"


def claim_line(pending: staffing_pb2.PendingClaim, zone: ZoneInfo) -> str:
    """'• Confirm Aisha Rahman for ICU 11-27 day — claimed 11-26 10:00; Confirm on the shift's
    post'."""
    shift = pending.open_shift
    name = {1: "day", 2: "night"}.get(shift.window.shift, "shift")
    starts = _local(shift.window.starts_at, zone).split()[0]
    overtime = (f", {pending.overtime_hours:g} h overtime" if pending.overtime_hours > 0 else "")
    return (f"• Confirm *{pending.claimant.display_name}* for {shift.unit_id} {starts} {name}"
            f"{overtime} — claimed {_local(pending.claimed_at, zone)}; "
            "Confirm on the shift's post")


def renewal_line(renewal: training_pb2.Renewal, zone: ZoneInfo) -> str:
    """'• Verify Nurse N2's ACLS renewal (new expiry 2028-05-31) — submitted 06-15 10:00'."""
    who = renewal.submitted_by.display_name or renewal.staff_id
    return (f"• Verify *{who}*'s {renewal.certification_code} renewal (new expiry "
            f"{iso(renewal.expires_on)}) — submitted {_local(renewal.submitted_at, zone)}")


def pending_text(home: Home, zone: ZoneInfo) -> str:
    """Proposals, claims and renewals waiting for this person; a part not answered says so."""
    parts = ((home.proposals, "Reorder proposals", lambda p: proposal_line(p)),
             (home.claims, "Claims to confirm", lambda c: claim_line(c, zone)),
             (home.renewals, "Renewals to verify", lambda r: renewal_line(r, zone)))
    lines = []
    for items, label, line in parts:
        if items is None:
            lines.append(f"*{label}:* {NOT_AVAILABLE}")
        else:
            lines += [line(item) for item in items]
    return "\n".join(lines) or "Nothing waiting for you."


def readiness_text(card: UnitReadiness) -> str:
    """The card's four lines: staffing gap, compliance, low stock, spend against budget."""
    if card.shifts is None:
        staffing = f"*Staffing:* {NOT_AVAILABLE}"
    else:
        parts = [f"{line.label}: " + ("no census" if line.gap is None else
                                       "fully staffed" if line.gap == 0 else
                                       f"short {line.gap} licensed nurse"
                                       + ("s" if line.gap != 1 else ""))
                 for line in card.shifts]
        staffing = "*Staffing:* " + "; ".join(parts)
    if card.compliant is None or card.staff_count is None:
        compliance = f"*Certifications:* {NOT_AVAILABLE}"
    elif card.staff_count == 0:
        compliance = "*Certifications:* no staff on the unit"
    else:
        percent = round(100 * card.compliant / card.staff_count)
        compliance = (f"*Certifications:* {percent}% compliant "
                      f"({card.compliant} of {card.staff_count} staff)")
    if card.low_items is None:
        supplies = f"*Supplies:* {NOT_AVAILABLE}"
    elif not card.low_items:
        supplies = "*Supplies:* nothing at or below its reorder point"
    else:
        supplies = (f"*Supplies:* {len(card.low_items)} at or below reorder point — "
                    + ", ".join(card.low_items[:8])
                    + (", …" if len(card.low_items) > 8 else ""))
    return "\n".join((staffing, compliance, supplies, budget_line(card)))


def budget_line(card: UnitReadiness) -> str:
    """'*Budget:* $1,740 of $40,000 spent in November (4%)'."""
    if card.spent_cents is None or card.budget_cents is None:
        return f"*Budget:* {NOT_AVAILABLE}"
    spent = f"${card.spent_cents / 100:,.0f}"
    if not card.budget_cents:
        return f"*Budget:* {spent} spent in {card.month} (no budget on file)"
    share = 100 * card.spent_cents // card.budget_cents
    return (f"*Budget:* {spent} of ${card.budget_cents / 100:,.0f} spent in {card.month} "
            f"({share}%)")


def home_view(home: Home, *, zone: ZoneInfo) -> View:
    """The published home tab; times in the facility's zone."""
    blocks: list[Block] = [HeaderBlock(text="ClinOps")]
    if home.display_name:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"For {home.display_name} · times are {zone.key}")]))

    blocks += [DividerBlock(), _section("*My next shifts*")]
    if home.shifts is None:
        blocks.append(_section(NOT_AVAILABLE))
    elif not home.shifts:
        blocks.append(_section("No shifts scheduled in the next two weeks."))
    else:
        lines = [shift_line(a, zone) for a in home.shifts[:MAX_SHIFTS]]
        blocks.append(_section("\n".join(lines)))

    blocks += [DividerBlock(), _section("*My certifications*")]
    if home.records is None:
        blocks.append(_section(NOT_AVAILABLE))
    elif not home.records:
        blocks.append(_section("No certifications on file."))
    else:
        ordered = sorted(home.records, key=lambda r: r.days_left)
        blocks.append(_section("\n".join(certification_line(r) for r in ordered)))

    blocks += [DividerBlock(), _section("*My pending approvals*")]
    blocks.append(_section(pending_text(home, zone)))

    for card in home.readiness:
        blocks += [DividerBlock(), _section(f"*Readiness — {card.unit_name or card.unit_id}*"),
                   _section(readiness_text(card))]
    return View(type="home", blocks=blocks)
