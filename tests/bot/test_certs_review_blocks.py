"""The renewal review DM, its decided form, the submitter's answer and the export CSV, built
from data alone and read as text the way the console shows it."""

from bot.blocks.certs import (
    decided_blocks,
    decided_text,
    export_csv,
    export_text,
    outcome_text,
    review_blocks,
    review_text,
)
from bot.ids import ActionId
from clinops.common.v1 import common_pb2
from clinops.console import buttons_in, render_blocks
from clinops.training.v1 import training_pb2

T = training_pb2
DEREK = common_pb2.Actor(slack_user_id="U0ICU012", staff_id="S-DEREK",
                         display_name="Derek Lindqvist")
ELAINE = common_pb2.Actor(slack_user_id="U0EDU001", staff_id="S-ELAINE",
                          display_name="Elaine Brennan")


def renewal(state: int = T.RENEWAL_STATE_PENDING, **fields) -> training_pb2.Renewal:
    return T.Renewal(renewal_id="r-1", staff_id="S-DEREK", certification_code="ACLS",
                     expires_on=common_pb2.Date(year=2028, month=11, day=30), state=state,
                     submitted_by=DEREK, **fields)


def test_the_review_dm_names_who_renewed_what_with_verify_and_reject_carrying_the_id() -> None:
    assert review_text(renewal()) == "Derek Lindqvist submitted ACLS renewal, expires 2028-11-30"
    blocks = review_blocks(renewal())
    assert render_blocks(blocks).endswith("[1] Verify   [2] Reject")
    assert [(b["action_id"], b["value"]) for _, b in buttons_in(blocks)] == [
        (ActionId.VERIFY_RENEWAL, "r-1"), (ActionId.REJECT_RENEWAL, "r-1")]


def test_a_decided_renewal_shows_who_decided_and_has_no_buttons() -> None:
    verified = renewal(T.RENEWAL_STATE_VERIFIED, decided_by=ELAINE)
    assert render_blocks(decided_blocks(verified)).endswith("✓ Verified by Elaine Brennan")
    assert buttons_in(decided_blocks(verified)) == []
    rejected = renewal(T.RENEWAL_STATE_REJECTED, decided_by=ELAINE,
                       rejection_reason="card is illegible")
    assert decided_text(rejected).endswith("— Rejected by Elaine Brennan: card is illegible")


def test_the_submitter_is_told_the_outcome_and_on_rejection_the_reason() -> None:
    verified = renewal(T.RENEWAL_STATE_VERIFIED, decided_by=ELAINE)
    assert outcome_text(verified).startswith("Your ACLS renewal was verified by Elaine Brennan")
    rejected = renewal(T.RENEWAL_STATE_REJECTED, decided_by=ELAINE,
                       rejection_reason="card is illegible")
    assert "rejected by Elaine Brennan. Reason: card is illegible" in outcome_text(rejected)


def test_the_export_has_a_row_per_required_certification_and_missing_ones_say_so() -> None:
    export = T.ExportUnitComplianceResponse(
        unit_id="ICU", on=common_pb2.Date(year=2026, month=11, day=26), rows=[
            T.ComplianceExportRow(staff_id="S-DEREK", display_name="Derek Lindqvist", role="RN",
                                  certification_code="ACLS", record=T.CertificationRecord(
                                      certification_code="ACLS", days_left=-26,
                                      status=T.RECORD_STATUS_EXPIRED,
                                      expires_on=common_pb2.Date(year=2026, month=10, day=31))),
            T.ComplianceExportRow(staff_id="S-NEW", display_name="O'Neil, Pat", role="RN",
                                  certification_code="BLS"),
            T.ComplianceExportRow(staff_id="S-X", display_name="=HYPERLINK(1)", role="CNA",
                                  certification_code="BLS"),
        ])
    assert export_csv(export).splitlines() == [
        "person,role,certification,expires,status,days left",
        "Derek Lindqvist,RN,ACLS,2026-10-31,expired,-26",
        '"O\'Neil, Pat",RN,BLS,,missing,',
        "'=HYPERLINK(1),CNA,BLS,,missing,",
    ]
    assert export_text(export) == ("Sent you ICU-certifications-2026-11-26.csv by DM: 3 required "
                                   "certifications of 3 staff.")
