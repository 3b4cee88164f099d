"""Certification DMs built from data alone: the managers' digest (the scheduler posts it) and a
nurse's reminder (the notifier posts it from training's `reminder.due` event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from clinops.staffing.v1 import staffing_pb2
from clinops.training.v1 import training_pb2

SHIFT_NAMES = {1: "day", 2: "night"}


def _day(message) -> date:  # noqa: ANN001 - a clinops.common.v1.Date
    return date(message.year, message.month, message.day)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _renew_hint(code: str) -> str:
    return f"Renew with `/certs renew {code} &lt;new expiry YYYY-MM-DD&gt;`."


def reminder_text(item: training_pb2.ExpiringCertification, *, on: date) -> str:
    """'Your ACLS expires 2026-12-31 — 30 days left. Renew with /certs renew ACLS <…>.'"""
    code = item.record.certification_code
    expires = _day(item.record.expires_on)
    left = (expires - on).days
    if left < 0:
        return (f"Your {code} expired {expires.isoformat()} — {_days(-left)} ago. Shifts that "
                f"need it cannot be worked until it is renewed. {_renew_hint(code)}")
    return f"Your {code} expires {expires.isoformat()} — {_days(left)} left. {_renew_hint(code)}"


def reminder_blocks(text: str) -> list[dict]:
    return [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]


@dataclass(frozen=True)
class DigestLine:
    """One person's lapsing certification and the shifts they are scheduled for after it."""

    item: training_pb2.ExpiringCertification
    shifts: tuple[staffing_pb2.Assignment, ...] | None  # None: staffing did not say


def shift_label(assignment: staffing_pb2.Assignment, zone: ZoneInfo) -> str:
    starts = assignment.window.starts_at.ToDatetime(UTC).astimezone(zone)
    name = SHIFT_NAMES.get(assignment.window.shift, "")
    return f"{starts:%a %Y-%m-%d} {name} shift, {assignment.unit_id}".replace("  ", " ")


def _line(line: DigestLine, on: date, zone: ZoneInfo) -> str:
    item = line.item
    code = item.record.certification_code
    expires = _day(item.record.expires_on)
    left = (expires - on).days
    when = (f"expired {expires.isoformat()} ({_days(-left)} ago)" if left < 0
            else f"expires {expires.isoformat()} ({_days(left)} left)")
    text = f"• {item.display_name} — {code} {when}"
    if line.shifts is None:
        return text + "\n      _shifts after the lapse: staffing did not answer_"
    if line.shifts:
        shifts = "; ".join(shift_label(s, zone) for s in line.shifts)
        return text + f"\n      :warning: scheduled after it lapses: {shifts}"
    return text


def digest_text(unit_name: str, expired: list[DigestLine], upcoming: list[DigestLine], *,
                on: date, zone: ZoneInfo) -> str:
    """The digest as plain mrkdwn: who, what, when, and the shifts at risk."""
    parts = [f"Certification digest for {unit_name} — {on.isoformat()}"]
    if expired:
        parts.append("*Expired*\n" + "\n".join(_line(x, on, zone) for x in expired))
    if upcoming:
        parts.append("*Expiring soon*\n" + "\n".join(_line(x, on, zone) for x in upcoming))
    return "\n\n".join(parts)


def digest_blocks(unit_name: str, expired: list[DigestLine], upcoming: list[DigestLine], *,
                  on: date, zone: ZoneInfo) -> list[dict]:
    blocks = [HeaderBlock(text=f"Certifications — {unit_name}"[:150])]
    for title, lines in (("Expired", expired), ("Expiring soon", upcoming)):
        if lines:
            body = "\n".join(_line(x, on, zone) for x in lines)
            blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{title}*\n{body}"[:3000])))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text=f"For {on.isoformat()}. Personal detail: for you only, please do not forward.")]))
    return [b.to_dict() for b in blocks]
