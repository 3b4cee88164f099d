"""Supplies builders and the /supply parser: data in, Block Kit out, no Slack involved."""

from google.protobuf.timestamp_pb2 import Timestamp

from bot.blocks.supplies import (
    budget_text,
    count_text,
    decision_text,
    figures_text,
    money,
    proposal_blocks,
    proposal_line_text,
    reject_modal,
    stock_status_blocks,
)
from bot.commands.supply import (
    CountEntry,
    StatusQuery,
    SupplyUsage,
    action_idempotency_key,
    parse_supply,
)
from bot.ids import ActionId, BlockId, CallbackId
from clinops.common.v1 import common_pb2
from clinops.console import buttons_in, render_blocks
from clinops.supplies.v1 import supplies_pb2 as pb

DENISE = common_pb2.Actor(slack_team_id="T1", slack_user_id="U0ICU001", staff_id="S1",
                          display_name="Denise Okafor")
HAROLD = common_pb2.Actor(slack_team_id="T1", slack_user_id="U0HOUSE1", staff_id="S2",
                          display_name="Harold Jimenez")
# 2026-11-26 18:30 UTC
DECIDED_AT = Timestamp(seconds=1_795_717_800)


def chg_line() -> pb.ProposalLine:
    return pb.ProposalLine(
        sku="CHG-CLOTH", item_name="CHG bathing cloths", quantity=96, line_cost_cents=69_600,
        figures=pb.ReorderFigures(daily_demand_mean=9.2, daily_demand_stddev=2.8,
                                  lead_time_days=4, lead_time_stddev_days=1, z=1.645,
                                  safety_stock=17.8),
        inventory_position=2, reorder_point=55, par=92, pack_size=24)


def proposal(state: int = pb.PROPOSAL_STATE_OPEN, **fields) -> pb.Proposal:
    return pb.Proposal(proposal_id="RP-00001", unit_id="ICU", state=state, lines=[chg_line()],
                       total_cents=69_600, month_to_date_spend_cents=1_000_000,
                       monthly_budget_cents=4_000_000, unit_slack_channel_id="C0ICU", **fields)


def level(sku: str, **flags) -> pb.StockLevel:
    return pb.StockLevel(unit_id="ICU", sku=sku, par=92, on_hand=flags.pop("on_hand", 2),
                         reorder_point=55, item=pb.Item(sku=sku, name=sku.title(),
                                                        critical=flags.pop("critical", False)),
                         **flags)


def test_money_shows_dollars_with_thousands_separators() -> None:
    assert money(69_600) == "$696.00"
    assert money(250_000_00) == "$250,000.00"
    assert money(0) == "$0.00"


def test_status_lists_each_short_item_with_why_it_is_listed_in_the_order_given() -> None:
    levels = [level("CHG-CLOTH", on_hand=0, out_of_stock=True, at_or_below_reorder_point=True,
                    below_par=True, critical=True),
              level("GAUZE-4X4", on_hand=80, below_par=True)]
    text = render_blocks(stock_status_blocks("ICU", levels))
    assert text.startswith("Supplies short — ICU\n")
    first, second = text.index("CHG-CLOTH"), text.index("GAUZE-4X4")
    assert first < second
    assert "OUT OF STOCK, at or below reorder point, below par" in text
    assert "(CHG-CLOTH) · critical" in text
    assert "on hand 80 · on order 0 · reorder point 55 · par 92 — below par" in text


def test_status_with_nothing_short_says_so() -> None:
    text = render_blocks(stock_status_blocks("ICU", []))
    assert "Nothing in ICU is at or below its reorder point" in text


def test_status_of_a_very_long_list_stays_within_slacks_fifty_blocks() -> None:
    blocks = stock_status_blocks("ICU", [level(f"SKU-{n}", below_par=True) for n in range(70)])
    assert len(blocks) <= 50
    assert "…and 30 more." in render_blocks(blocks)


def test_a_count_that_opened_a_proposal_says_so_and_where_it_was_posted() -> None:
    response = pb.RecordCountResponse(stock_level=level("CHG-CLOTH"), proposal=proposal())
    text = count_text(response, posted_in="C0ICU")
    assert "Counted *Chg-Cloth* (CHG-CLOTH) in ICU: on hand 2" in text
    assert "opened reorder proposal RP-00001 ($696.00) in <#C0ICU>." in text


def test_a_count_above_reorder_point_only_confirms_the_new_level() -> None:
    text = count_text(pb.RecordCountResponse(stock_level=level("CHG-CLOTH", on_hand=70)))
    assert "on hand 70" in text and "proposal" not in text


def test_a_count_that_extended_a_proposal_says_it_was_added() -> None:
    extended = proposal()
    extended.lines.append(pb.ProposalLine(sku="NS-1000", quantity=12, line_cost_cents=2_580))
    extended.total_cents = 72_180
    text = count_text(pb.RecordCountResponse(stock_level=level("NS-1000"), proposal=extended))
    assert "Added to reorder proposal RP-00001 (2 items, $721.80)." in text


def test_a_proposal_line_shows_packs_cost_and_the_figures_behind_it() -> None:
    line = chg_line()
    assert proposal_line_text(line).startswith(
        "*CHG bathing cloths* (CHG-CLOTH): 96 (4 × 24) · $696.00\n")
    assert figures_text(line) == (
        "d 9.2/day · σ 2.8 · L 4 d (σ 1 d) · z 1.645 · SS 17.8 · ROP 55 · position 2 · par 92")


def test_a_fixed_reorder_point_says_so_instead_of_demand_figures() -> None:
    line = pb.ProposalLine(sku="X", quantity=5, reorder_point=10, inventory_position=3, par=20,
                           figures=pb.ReorderFigures(fixed=True))
    assert figures_text(line) == "fixed reorder point · ROP 10 · position 3 · par 20"


def test_an_open_proposal_shows_total_against_budget_and_approve_and_reject_buttons() -> None:
    blocks = proposal_blocks(proposal())
    text = render_blocks(blocks)
    assert text.startswith("Reorder proposal RP-00001 — ICU\n")
    assert ("Total $696.00 · month to date $10,000.00 of $40,000.00 budget "
            "($10,696.00 with this order, 26%)") in text
    assert "Open — waiting for an approver" in text
    buttons = buttons_in(blocks)
    assert [(block, b["action_id"], b["value"]) for block, b in buttons] == [
        (BlockId.PROPOSAL_ACTIONS, ActionId.APPROVE_PROPOSAL, "RP-00001"),
        (BlockId.PROPOSAL_ACTIONS, ActionId.EDIT_QUANTITIES, "RP-00001"),
        (BlockId.PROPOSAL_ACTIONS, ActionId.REJECT_PROPOSAL, "RP-00001")]
    assert "Approvers can also reply in this thread: approve or reject <reason>." in text


def test_an_approved_proposal_names_the_approver_and_order_and_has_no_buttons() -> None:
    approved = proposal(pb.PROPOSAL_STATE_APPROVED, decided_by=DENISE, decided_at=DECIDED_AT,
                        purchase_order_id="PO-00001")
    blocks = proposal_blocks(approved)
    text = render_blocks(blocks)
    assert ("Approved by @U0ICU001 (Denise Okafor) at 2026-11-26 18:30 UTC · purchase order "
            "PO-00001") in text
    assert buttons_in(blocks) == []
    # The approved order is already in the month's spend: no "with this order".
    assert budget_text(approved).endswith("of $40,000.00 budget (25%)")


def test_an_escalated_proposal_keeps_its_buttons_for_the_next_approver() -> None:
    escalated = proposal(pb.PROPOSAL_STATE_ESCALATED, decided_by=DENISE, escalated_to=HAROLD)
    blocks = proposal_blocks(escalated)
    assert ("Escalated to @U0HOUSE1 (Harold Jimenez), above @U0ICU001 (Denise Okafor)'s limit"
            in render_blocks(blocks))
    assert len(buttons_in(blocks)) == 3


def test_the_thread_says_who_approved_when_and_the_purchase_order() -> None:
    approved = proposal(pb.PROPOSAL_STATE_APPROVED, decided_by=DENISE, decided_at=DECIDED_AT,
                        purchase_order_id="PO-00001")
    assert decision_text(approved) == (
        ":white_check_mark: Approved by <@U0ICU001> (Denise Okafor) at 2026-11-26 18:30 UTC — "
        "$696.00; purchase order PO-00001.")


def test_the_thread_mentions_the_approver_a_proposal_escalated_to() -> None:
    escalated = proposal(pb.PROPOSAL_STATE_ESCALATED, decided_by=DENISE, escalated_to=HAROLD,
                         decided_at=DECIDED_AT)
    text = decision_text(escalated)
    assert "<@U0ICU001> (Denise Okafor) approved" in text
    assert "above their limit: escalated to <@U0HOUSE1> (Harold Jimenez)" in text


def test_an_escalation_nobody_is_named_for_says_an_approver_not_someone() -> None:
    escalated = proposal(pb.PROPOSAL_STATE_ESCALATED, escalated_to=HAROLD)
    text = decision_text(escalated)
    assert text.startswith(":arrow_up: An approver approved, but ")
    assert "someone" not in text
    assert ("Escalated to @U0HOUSE1 (Harold Jimenez), above the first approver's limit"
            in render_blocks(proposal_blocks(escalated)))


def test_the_thread_gives_a_rejections_reason() -> None:
    rejected = proposal(pb.PROPOSAL_STATE_REJECTED, decided_by=DENISE, decided_at=DECIDED_AT,
                        rejection_reason="central supply is restocking today")
    assert decision_text(rejected).endswith("Reason: central supply is restocking today")


def test_the_reject_modal_requires_a_reason_and_carries_the_proposal_id() -> None:
    view = reject_modal("RP-00001").to_dict()
    assert view["callback_id"] == CallbackId.REJECT_PROPOSAL
    assert view["private_metadata"] == "RP-00001"
    [reason, snooze] = view["blocks"]
    assert reason["type"] == "input" and reason["block_id"] == BlockId.REJECT_REASON
    assert not reason.get("optional", False)
    assert reason["element"]["action_id"] == ActionId.REJECT_REASON_INPUT
    # The manager picks how long the rejection holds; a week unless they choose otherwise.
    assert snooze["block_id"] == BlockId.REJECT_SNOOZE
    assert snooze["element"]["action_id"] == ActionId.REJECT_SNOOZE_INPUT
    assert [o["value"] for o in snooze["element"]["options"]] == ["1", "3", "7", "14", "30"]
    assert snooze["element"]["initial_option"]["value"] == "7"


def test_supply_parses_status_and_count_in_any_case() -> None:
    assert parse_supply("status icu") == StatusQuery("ICU")
    assert parse_supply("COUNT icu chg-cloth 12") == CountEntry("ICU", "CHG-CLOTH", 12)


def test_supply_help_and_empty_text_show_usage_without_a_problem() -> None:
    assert parse_supply("help") == SupplyUsage()
    assert parse_supply("") == SupplyUsage()


def test_supply_bad_input_shows_usage_saying_what_was_wrong() -> None:
    assert "Name one unit" in parse_supply("status").problem
    assert "Give the unit, the SKU and the quantity" in parse_supply("count ICU 12").problem
    assert "whole number" in parse_supply("count ICU CHG-CLOTH -3").problem
    assert "whole number" in parse_supply("count ICU CHG-CLOTH lots").problem
    assert "I don't understand `order`" in parse_supply("order ICU").problem


def test_the_idempotency_key_names_the_click_so_a_retried_request_repeats_it() -> None:
    body = {"team": {"id": "T1"}, "user": {"id": "U1"}, "container": {"message_ts": "17.1"}}
    action = {"action_ts": "17.9"}
    assert action_idempotency_key(body, action) == "slack:T1:U1:17.1:17.9"
    assert action_idempotency_key(body, {"action_ts": "18.0"}) != "slack:T1:U1:17.1:17.9"
