"""The `/certs` builders: data in, Block Kit out, read as text the way the console shows it."""

from bot.blocks.certs import (
    compliance_blocks,
    compliance_text,
    days_left_text,
    records_blocks,
    records_text,
    renewal_blocks,
)
from bot.blocks.messages import usage_blocks
from bot.commands.certs import USAGE
from clinops.common.v1 import common_pb2
from clinops.console import render_blocks
from clinops.training.v1 import training_pb2

T = training_pb2


def record(code: str, expires: tuple[int, int, int], days_left: int,
           status: int = T.RECORD_STATUS_CURRENT) -> training_pb2.CertificationRecord:
    year, month, day = expires
    return T.CertificationRecord(certification_code=code, days_left=days_left, status=status,
                                 expires_on=common_pb2.Date(year=year, month=month, day=day))


DEREK = T.ListRecordsResponse(staff_id="S-DEREK", display_name="Derek Lindqvist", records=[
    record("BLS", (2028, 8, 31), 644),
    record("ACLS", (2026, 10, 31), -26, T.RECORD_STATUS_EXPIRED),
    record("CCRN", (2026, 12, 10), 14, T.RECORD_STATUS_EXPIRING),
    record("RN-CA", (2027, 1, 31), 66, T.RECORD_STATUS_EXPIRING),
])


def test_my_certifications_list_type_expiry_days_left_and_status_most_urgent_first() -> None:
    lines = render_blocks(records_blocks(DEREK, own=True)).splitlines()
    assert lines[0] == "My certifications"
    assert lines[2] == "✗ 1 expired · ⚠ 1 expiring within 30 days"
    assert lines[3:7] == [
        "ACLS · expires 2026-10-31 · expired 26 days ago · ✗ EXPIRED",
        "CCRN · expires 2026-12-10 · 14 days left · ⚠ expiring within 30 days",
        "RN-CA · expires 2027-01-31 · 66 days left · expiring soon",
        "BLS · expires 2028-08-31 · 644 days left · ✓ current",
    ]
    assert "/certs renew <type> <expires YYYY-MM-DD>" in lines[7]


def test_someone_elses_certifications_carry_their_name_and_no_renew_hint() -> None:
    text = render_blocks(records_blocks(DEREK, own=False))
    assert text.startswith("Derek Lindqvist's certifications\n")
    assert "/certs renew" not in text
    assert records_text(DEREK, own=False) == "Derek Lindqvist's certifications — expired: ACLS"


def test_a_renewal_awaiting_verification_is_shown_beside_the_status() -> None:
    pending = T.ListRecordsResponse(records=[
        record("ACLS", (2026, 10, 31), -26, T.RECORD_STATUS_PENDING_VERIFICATION)])
    assert ("✗ EXPIRED · renewal awaiting verification"
            in render_blocks(records_blocks(pending, own=True)))


def test_nothing_on_file_is_said_plainly() -> None:
    text = render_blocks(records_blocks(T.ListRecordsResponse(), own=True))
    assert "No certifications on file." in text


def test_days_left_reads_naturally_at_the_boundaries() -> None:
    assert days_left_text(1) == "1 day left"
    assert days_left_text(0) == "last valid day today"
    assert days_left_text(-1) == "expired 1 day ago"


ICU = T.GetUnitComplianceResponse(
    unit_id="ICU", staff_count=15, fully_compliant=14,
    by_type=[T.TypeCompliance(certification_code="BLS", required_of=13, current=13),
             T.TypeCompliance(certification_code="ACLS", required_of=13, current=12)],
)


def test_unit_compliance_without_gaps_shows_only_percentages_and_counts() -> None:
    text = render_blocks(compliance_blocks(ICU))
    assert text.splitlines()[0] == "ICU certification compliance"
    assert "93% fully compliant — 14 of 15 staff" in text
    assert "BLS: 100% — 13 of 13 current" in text
    assert "ACLS: 92% — 12 of 13 current" in text
    assert "Names are shown only to the unit's managers and the educators." in text
    assert "Who lacks what" not in text
    assert compliance_text(ICU) == "ICU: 93% fully compliant (14 of 15)"


def test_unit_compliance_with_gaps_lists_who_lacks_what() -> None:
    with_gaps = T.GetUnitComplianceResponse()
    with_gaps.CopyFrom(ICU)
    with_gaps.gaps.add(staff_id="S1", display_name="Derek Lindqvist", findings=[
        T.CertificationFinding(certification_code="ACLS", explanation="ACLS expired 2026-10-31")])
    text = render_blocks(compliance_blocks(with_gaps))
    assert "Who lacks what\nDerek Lindqvist — ACLS expired 2026-10-31" in text
    assert "Names are shown only" not in text


def test_a_long_gap_list_is_split_into_sections_slack_accepts() -> None:
    many = T.GetUnitComplianceResponse(unit_id="MS", staff_count=200, fully_compliant=0)
    for n in range(200):
        many.gaps.add(staff_id=f"S{n}", display_name=f"Nurse number {n}", findings=[
            T.CertificationFinding(explanation="BLS missing; RN-CA expired 2026-01-31")])
    blocks = [b.to_dict() for b in compliance_blocks(many)]
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b.get("text")
               and b["type"] == "section")
    assert "Nurse number 199 —" in render_blocks(blocks)


def test_a_submitted_renewal_says_it_waits_for_verification() -> None:
    renewal = T.Renewal(certification_code="ACLS",
                        expires_on=common_pb2.Date(year=2028, month=11, day=30))
    text = render_blocks(renewal_blocks(renewal))
    assert "ACLS renewal (expires 2028-11-30) is submitted for verification" in text


def test_the_usage_shows_its_placeholders_escaped_for_mrkdwn() -> None:
    sent = " ".join(block.text.text for block in usage_blocks(USAGE))
    assert "<unit>" not in sent and "&lt;unit&gt;" in sent
    assert "<unit>" in render_blocks(usage_blocks(USAGE))
