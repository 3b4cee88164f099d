"""Open-shift builders: overtime first, the queued claim with Confirm, candidates, the modal."""

from bot.blocks.candidates import candidate_line, candidates_blocks, offer_blocks
from bot.blocks.open_shift import (
    claim_answer_blocks,
    confirm_answer_text,
    parse_confirm_value,
    queued_claim_blocks,
)
from bot.blocks.report_modal import report_modal
from bot.ids import ActionId, BlockId, CallbackId
from clinops.common.v1 import common_pb2
from clinops.console import buttons_in, render_blocks
from clinops.staffing.v1 import staffing_pb2 as pb

WINDOW = common_pb2.ShiftWindow(date=common_pb2.Date(year=2026, month=11, day=27),
                                shift=common_pb2.SHIFT_NIGHT)
SHIFT = pb.OpenShift(open_shift_id="os1", unit_id="LD", window=WINDOW, role=pb.STAFF_ROLE_RN,
                     slots=1, state=pb.OPEN_SHIFT_STATE_OPEN)
ADRIANA = pb.StaffMember(staff_id="FLT7", display_name="Adriana Molina", slack_user_id="U7")


def _dicts(blocks):
    return [b.to_dict() for b in blocks]


def test_an_overtime_answer_says_hours_and_offers_only_claim_with_overtime():
    answer = pb.ClaimOpenShiftResponse(outcome=pb.CLAIM_OUTCOME_OVERTIME_NOT_ACCEPTED,
                                       overtime_hours=4, hours_this_week=44, open_shift=SHIFT)
    blocks = _dicts(claim_answer_blocks(answer))
    assert "This shift would be 4 h overtime (44 h this week)." in render_blocks(blocks)
    [(_, button)] = buttons_in(blocks)
    assert button["action_id"] == ActionId.CLAIM_WITH_OVERTIME and button["value"] == "os1"


def test_an_awarded_answer_has_no_button():
    answer = pb.ClaimOpenShiftResponse(outcome=pb.CLAIM_OUTCOME_AWARDED, open_shift=SHIFT)
    assert buttons_in(_dicts(claim_answer_blocks(answer))) == []


def test_a_queued_claim_names_the_claimant_and_confirm_carries_shift_and_person():
    answer = pb.ClaimOpenShiftResponse(outcome=pb.CLAIM_OUTCOME_QUEUED, open_shift=SHIFT,
                                       claimant=ADRIANA)
    blocks = _dicts(queued_claim_blocks(answer))
    assert render_blocks(blocks).startswith(
        "Claim from Adriana Molina — waiting for the charge nurse")
    [(_, button)] = buttons_in(blocks)
    assert button["action_id"] == ActionId.CONFIRM_CLAIM
    assert parse_confirm_value(button["value"]) == ("os1", "FLT7")


def test_a_confirm_that_came_too_late_says_already_filled():
    answer = pb.ConfirmClaimResponse(outcome=pb.CLAIM_OUTCOME_ALREADY_FILLED, open_shift=SHIFT,
                                     claimant=ADRIANA)
    assert confirm_answer_text(answer) == ("LD Night shift 2026-11-27, 19:00–07:00 is already "
                                           "filled: Adriana Molina's claim cannot be confirmed.")


def test_a_confirm_refused_at_confirm_time_lists_what_fails_now():
    answer = pb.ConfirmClaimResponse(outcome=pb.CLAIM_OUTCOME_REFUSED, open_shift=SHIFT,
                                     claimant=ADRIANA, findings=[pb.EligibilityFinding(
                                         rule="certification NRP", passed=False,
                                         explanation="NRP expired 2026-11-01")])
    assert "• NRP expired 2026-11-01" in confirm_answer_text(answer)


def candidate(name: str, tier: int, week: float, rest: float, overtime: float = 0):
    return pb.Candidate(staff_member=pb.StaffMember(staff_id=name[:3], display_name=name),
                        cost_tier=tier, hours_this_week=week, rest_hours_before=rest,
                        open_shift_id="os1", overtime_hours=overtime)


def test_each_candidate_shows_tier_hours_this_week_and_rest_with_an_offer_button():
    response = pb.ListCandidatesResponse(
        unit=pb.Unit(unit_id="LD"), window=WINDOW, open_shifts=[SHIFT],
        candidates=[candidate("Sarah Whitman", 0, 24, 12), candidate("Colleen Murphy", 3, 36, 0,
                                                                      8)])
    blocks = _dicts(candidates_blocks(response))
    shown = render_blocks(blocks)
    assert "Sarah Whitman — unit staff · 24 h this week · 12 h rest before" in shown
    assert ("Colleen Murphy — overtime (8 h) · 36 h this week · no shift in the 2 days before"
            in shown)
    offers = [b["value"] for _, b in buttons_in(blocks)]
    assert offers == ["os1:Sar", "os1:Col"]


def test_no_open_shift_in_the_window_says_how_to_report_one():
    response = pb.ListCandidatesResponse(unit=pb.Unit(unit_id="ICU"), window=WINDOW)
    shown = render_blocks(_dicts(candidates_blocks(response)))
    assert "No open shift on ICU for Night shift 2026-11-27" in shown
    assert "/shift-gap report ICU RN" in shown


def test_a_candidate_line_reads_like_the_ward():
    assert candidate_line(candidate("Harold Jimenez", 1, 0, 0)) == (
        "*Harold Jimenez* — float pool · 0 h this week · no shift in the 2 days before")


def test_the_offer_dm_carries_the_open_shift_with_its_claim_button():
    blocks = _dicts(offer_blocks(SHIFT, "U0LD0002"))
    assert blocks[0]["text"]["text"].startswith("<@U0LD0002> offers you an open RN shift on LD")
    [(block_id, button)] = buttons_in(blocks)
    assert block_id == BlockId.OPEN_SHIFT_CLAIM and button["action_id"] == ActionId.CLAIM_OPEN_SHIFT


def test_the_report_modal_lists_units_and_asks_for_role_count_shift_date_and_reason():
    view = report_modal([pb.Unit(unit_id="ICU", name="Intensive Care Unit"),
                         pb.Unit(unit_id="LD", name="Labor & Delivery")]).to_dict()
    assert view["callback_id"] == CallbackId.REPORT_GAP and view["type"] == "modal"
    assert [b["block_id"] for b in view["blocks"]] == [
        BlockId.REPORT_UNIT, BlockId.REPORT_ROLE, BlockId.REPORT_COUNT, BlockId.REPORT_SHIFT,
        BlockId.REPORT_DATE, BlockId.REPORT_REASON]
    assert [o["value"] for o in view["blocks"][0]["element"]["options"]] == ["ICU", "LD"]
