"""The `/certs` answers: someone's certifications with days left, a unit's compliance, a renewal
and its review in the reviewer's DM, and the compliance export as CSV."""

import csv
import io

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.ids import ActionId, BlockId, CallbackId
from clinops.common.v1 import common_pb2
from clinops.training.v1 import training_pb2

# Flag a card within a month of lapsing loudly; the service's own "expiring" window (its earliest
# reminder, 90 days by default) is shown too, but quietly.
URGENT_DAYS = 30
# Slack caps a section's text at 3,000 characters; a long gap list is split across sections.
SECTION_LIMIT = 2900
# mrkdwn reads <…> as a link, so the placeholders are escaped.
RENEW_HINT = ("Renewed a card? `/certs renew &lt;type&gt; &lt;expires YYYY-MM-DD&gt;` — "
              "an educator verifies it.")


def iso(day: common_pb2.Date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}" if day.year else "no expiry on file"


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def days_left_text(days_left: int) -> str:
    """'12 days left', 'expires today', '3 days ago'."""
    if days_left > 0:
        return f"{_days(days_left)} left"
    if days_left == 0:
        return "last valid day today"
    return f"expired {_days(-days_left)} ago"


def status_text(record: training_pb2.CertificationRecord) -> str:
    """The status word, flagged: expired ✗, expiring within 30 days ⚠, otherwise plain."""
    if record.days_left < 0:
        status = ":x: *EXPIRED*"
    elif record.days_left <= URGENT_DAYS:
        status = f":warning: *expiring within {URGENT_DAYS} days*"
    elif record.status == training_pb2.RECORD_STATUS_EXPIRING:
        status = "expiring soon"
    else:
        status = ":white_check_mark: current"
    if record.status == training_pb2.RECORD_STATUS_PENDING_VERIFICATION:
        status += " · renewal awaiting verification"
    return status


def record_line(record: training_pb2.CertificationRecord) -> str:
    """One certification: type, expiry date, days left, status."""
    return (f"*{record.certification_code}* · expires {iso(record.expires_on)} · "
            f"{days_left_text(record.days_left)} · {status_text(record)}")


def _summary(records: list[training_pb2.CertificationRecord]) -> str:
    expired = sum(r.days_left < 0 for r in records)
    urgent = sum(0 <= r.days_left <= URGENT_DAYS for r in records)
    parts = []
    if expired:
        parts.append(f":x: *{expired} expired*")
    if urgent:
        parts.append(f":warning: *{urgent} expiring within {URGENT_DAYS} days*")
    return " · ".join(parts) or ":white_check_mark: Everything on file is current."


def records_title(response: training_pb2.ListRecordsResponse, *, own: bool) -> str:
    if own:
        return "My certifications"
    return f"{response.display_name or response.staff_id}'s certifications"


def records_blocks(response: training_pb2.ListRecordsResponse, *, own: bool) -> list[Block]:
    """Each certification, most urgent first, with days left and a clear flag."""
    records = sorted(response.records, key=lambda r: (r.days_left, r.certification_code))
    blocks: list[Block] = [HeaderBlock(block_id=BlockId.CERTS_HEADER,
                                       text=records_title(response, own=own)[:150])]
    if not records:
        blocks.append(SectionBlock(block_id=BlockId.CERTS_SUMMARY, text=MarkdownTextObject(
            text="No certifications on file.")))
    else:
        blocks.append(SectionBlock(block_id=BlockId.CERTS_SUMMARY,
                                   text=MarkdownTextObject(text=_summary(records))))
        blocks.append(SectionBlock(
            block_id=BlockId.CERTS_RECORD,
            text=MarkdownTextObject(text="\n".join(record_line(r) for r in records)),
        ))
    if own:
        blocks.append(ContextBlock(block_id=BlockId.CERTS_FOOTER,
                                   elements=[MarkdownTextObject(text=RENEW_HINT)]))
    return blocks


def records_text(response: training_pb2.ListRecordsResponse, *, own: bool) -> str:
    """The notification fallback: whose, and what needs attention."""
    records = list(response.records)
    expired = [r.certification_code for r in records if r.days_left < 0]
    state = f"expired: {', '.join(expired)}" if expired else f"{len(records)} on file"
    return f"{records_title(response, own=own)} — {state}"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part // whole}%" if whole else "—"


def gap_line(gap: training_pb2.ComplianceGap) -> str:
    """Who lacks what: '*Derek Lindqvist* — ACLS expired 2026-11-25'."""
    problems = "; ".join(f.explanation or f.certification_code for f in gap.findings)
    return f"*{gap.display_name or gap.staff_id}* — {problems}"


def _chunks(lines: list[str]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line[:SECTION_LIMIT]
    return [*chunks, current] if current else chunks


def compliance_blocks(response: training_pb2.GetUnitComplianceResponse) -> list[Block]:
    """Percentages and counts per type; who lacks what only when the service sent it."""
    staff, compliant = response.staff_count, response.fully_compliant
    blocks: list[Block] = [
        HeaderBlock(block_id=BlockId.CERTS_HEADER,
                    text=f"{response.unit_id} certification compliance"[:150]),
        SectionBlock(block_id=BlockId.CERTS_SUMMARY, text=MarkdownTextObject(
            text=f"*{_percent(compliant, staff)} fully compliant* — "
                 f"{compliant} of {staff} staff hold every required, unexpired certification")),
    ]
    lines = [f"*{t.certification_code}*: {_percent(t.current, t.required_of)} — "
             f"{t.current} of {t.required_of} current" for t in response.by_type]
    if lines:
        blocks.append(SectionBlock(block_id=BlockId.CERTS_RECORD,
                                   text=MarkdownTextObject(text="\n".join(lines))))
    if response.gaps:
        blocks.append(DividerBlock())
        gap_lines = ["*Who lacks what*", *(gap_line(g) for g in response.gaps)]
        blocks.extend(SectionBlock(block_id=f"{BlockId.CERTS_GAPS}.{index}",
                                   text=MarkdownTextObject(text=chunk))
                      for index, chunk in enumerate(_chunks(gap_lines)))
    elif compliant < staff:
        blocks.append(ContextBlock(block_id=BlockId.CERTS_FOOTER, elements=[MarkdownTextObject(
            text="Names are shown only to the unit's managers and the educators.")]))
    return blocks


def compliance_text(response: training_pb2.GetUnitComplianceResponse) -> str:
    return (f"{response.unit_id}: {_percent(response.fully_compliant, response.staff_count)} "
            f"fully compliant ({response.fully_compliant} of {response.staff_count})")


def renewal_blocks(renewal: training_pb2.Renewal) -> list[Block]:
    text = f":white_check_mark: {renewal_text(renewal)}"
    return [SectionBlock(block_id=BlockId.CERTS_RENEWAL, text=MarkdownTextObject(text=text))]


def refused_blocks(text: str) -> list[Block]:
    return [SectionBlock(block_id=BlockId.CERTS_REFUSED, text=MarkdownTextObject(text=text))]


def renewal_text(renewal: training_pb2.Renewal) -> str:
    return (f"Your {renewal.certification_code} renewal (expires {iso(renewal.expires_on)}) is "
            "submitted for verification. Your educator or unit manager checks the card; your "
            "record changes once it is verified.")


def _names(actors: list[common_pb2.Actor]) -> str:
    names = [a.display_name or a.staff_id for a in actors]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def submitted_text(response: training_pb2.SubmitRenewalResponse) -> str:
    """What the submitter reads: submitted, and who was asked to verify it."""
    sent = (f" Sent to {_names(list(response.reviewers))}." if response.reviewers else "")
    return renewal_text(response.renewal) + sent


def submitted_blocks(response: training_pb2.SubmitRenewalResponse) -> list[Block]:
    return [SectionBlock(block_id=BlockId.CERTS_RENEWAL, text=MarkdownTextObject(
        text=f":white_check_mark: {submitted_text(response)}"))]


def _submitter(renewal: training_pb2.Renewal) -> str:
    return renewal.submitted_by.display_name or renewal.staff_id


def review_text(renewal: training_pb2.Renewal) -> str:
    """'Derek Lindqvist submitted ACLS renewal, expires 2028-11-30'."""
    return (f"{_submitter(renewal)} submitted {renewal.certification_code} renewal, expires "
            f"{iso(renewal.expires_on)}")


def review_blocks(renewal: training_pb2.Renewal) -> list[Block]:
    """The reviewer's DM: who renewed what, with Verify and Reject (value: the renewal id)."""
    return [
        SectionBlock(block_id=BlockId.RENEWAL_REVIEW, text=MarkdownTextObject(
            text=f"{review_text(renewal)}.\nCheck the card before you verify: only a verified "
                 "renewal changes the record.")),
        ActionsBlock(block_id=BlockId.RENEWAL_ACTIONS, elements=[
            ButtonElement(text="Verify", action_id=ActionId.VERIFY_RENEWAL,
                          value=renewal.renewal_id, style="primary"),
            ButtonElement(text="Reject", action_id=ActionId.REJECT_RENEWAL,
                          value=renewal.renewal_id, style="danger"),
        ]),
    ]


def decision_line(renewal: training_pb2.Renewal) -> str:
    """'Verified by Elaine Brennan' or 'Rejected by Elaine Brennan: card is illegible'."""
    by = renewal.decided_by.display_name or renewal.decided_by.staff_id
    if renewal.state == training_pb2.RENEWAL_STATE_VERIFIED:
        return f"Verified by {by}"
    return f"Rejected by {by}: {renewal.rejection_reason}"


def decided_text(renewal: training_pb2.Renewal) -> str:
    return f"{review_text(renewal)} — {decision_line(renewal)}"


def decided_blocks(renewal: training_pb2.Renewal) -> list[Block]:
    """The reviewer's DM once decided: the same submission, the decision, no buttons."""
    mark = (":white_check_mark:" if renewal.state == training_pb2.RENEWAL_STATE_VERIFIED
            else ":x:")
    return [
        SectionBlock(block_id=BlockId.RENEWAL_REVIEW,
                     text=MarkdownTextObject(text=f"{review_text(renewal)}.")),
        ContextBlock(block_id=BlockId.RENEWAL_STATE, elements=[MarkdownTextObject(
            text=f"{mark} {decision_line(renewal)}")]),
    ]


def outcome_text(renewal: training_pb2.Renewal) -> str:
    """The submitter's DM: verified (the record now runs to the new date), or why not."""
    by = renewal.decided_by.display_name or renewal.decided_by.staff_id
    code = renewal.certification_code
    if renewal.state == training_pb2.RENEWAL_STATE_VERIFIED:
        return (f"Your {code} renewal was verified by {by}: your record now runs through "
                f"{iso(renewal.expires_on)}.")
    return (f"Your {code} renewal was rejected by {by}. Reason: {renewal.rejection_reason}\n"
            f"Fix it and submit again with `/certs renew {code} &lt;expires YYYY-MM-DD&gt;`.")


def reject_renewal_modal(renewal_id: str, place: str) -> View:
    """Asks the reason, which the service requires; carries the renewal id and the DM's place."""
    return View(
        type="modal",
        callback_id=CallbackId.REJECT_RENEWAL,
        private_metadata=place,
        title=PlainTextObject(text="Reject renewal"),
        submit=PlainTextObject(text="Reject"),
        close=PlainTextObject(text="Cancel"),
        blocks=[InputBlock(
            block_id=BlockId.RENEWAL_REJECT_REASON,
            label=PlainTextObject(text="Reason (sent to the nurse)"),
            element=PlainTextInputElement(action_id=ActionId.REJECT_RENEWAL_REASON_INPUT,
                                          multiline=True, max_length=500),
        )],
    )


EXPORT_HEADER = ("person", "role", "certification", "expires", "status", "days left")
_STATUS = {
    training_pb2.RECORD_STATUS_CURRENT: "current",
    training_pb2.RECORD_STATUS_EXPIRING: "expiring",
    training_pb2.RECORD_STATUS_EXPIRED: "expired",
    training_pb2.RECORD_STATUS_PENDING_VERIFICATION: "pending verification",
}


def _text_cell(text: str) -> str:
    """A name a spreadsheet would run as a formula (=, +, -, @) is quoted as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_row(row: training_pb2.ComplianceExportRow) -> tuple[str, ...]:
    """One required certification of one person; nothing on file reads 'missing'."""
    person = _text_cell(row.display_name or row.staff_id)
    if not row.HasField("record"):
        return (person, row.role, row.certification_code, "", "missing", "")
    record = row.record
    return (person, row.role, row.certification_code, iso(record.expires_on),
            _STATUS.get(record.status, "unknown"), str(record.days_left))


def export_csv(export: training_pb2.ExportUnitComplianceResponse) -> str:
    """The surveyor's list: a header, then one row per person and required certification."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    writer.writerows(export_row(r) for r in export.rows)
    return out.getvalue()


def export_filename(export: training_pb2.ExportUnitComplianceResponse) -> str:
    return f"{export.unit_id}-certifications-{iso(export.on)}.csv"


def export_title(export: training_pb2.ExportUnitComplianceResponse) -> str:
    return f"{export.unit_id} certification compliance as of {iso(export.on)}"


def export_text(export: training_pb2.ExportUnitComplianceResponse) -> str:
    """The ephemeral answer: where the file went and what is in it (no names in the channel)."""
    people = len({r.staff_id for r in export.rows})
    return (f"Sent you {export_filename(export)} by DM: {len(export.rows)} required "
            f"certifications of {people} staff.")
