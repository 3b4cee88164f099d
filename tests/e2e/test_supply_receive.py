"""`/supply receive <PO>` end to end: signed slash commands into the Bolt app, the real supplies
server on gRPC seeded with the demo hospital, replies recorded by the Slack stand-in."""
# ruff: noqa: F811 — fixtures are imported from test_supply_http and requested by name

from __future__ import annotations

from clinops.clock import fixed_clock
from services.supplies import receipts, usecases
from services.supplies.model import Actor, Decision
from tests.e2e.test_supply_http import (  # noqa: F401 — fixtures
    NOW,
    person,
    supplies_port,
    supplies_store,
    supply_bot,
)


async def approved_order(supply_bot, supplies_store, hospital) -> str:  # noqa: ANN001
    maya, denise = person(hospital, "Maya Castillo"), person(hospital, "Denise Okafor")
    await supply_bot.command(maya, "count ICU CHG-CLOTH 2")
    approved = usecases.decide_proposal(
        proposal_id="RP-00001", decision=Decision.APPROVE,
        caller=Actor(denise.team_id, denise.user_id), store=supplies_store,
        clock=fixed_clock(NOW))
    return approved.purchase_order_id


async def test_the_manager_receives_an_order_and_is_told_what_moved_to_on_hand(
    supply_bot, supplies_store, hospital,
):
    number = await approved_order(supply_bot, supplies_store, hospital)
    reply = await supply_bot.command(person(hospital, "Denise Okafor"), f"receive {number}")
    assert reply["response_type"] == "ephemeral"
    assert f"Received {number} into ICU (1 line)" in reply["text"]
    assert "(CHG-CLOTH): +96 on hand → 98 on hand, 0 on order" in reply["text"]
    status = await supply_bot.command(person(hospital, "Denise Okafor"), "status ICU")
    assert "CHG-CLOTH" not in status["text"]


async def test_a_second_receipt_says_who_already_received_it(supply_bot, supplies_store,
                                                             hospital):
    number = await approved_order(supply_bot, supplies_store, hospital)
    denise = person(hospital, "Denise Okafor")
    await supply_bot.command(denise, f"receive {number}")
    again = await supply_bot.command(denise, f"receive {number}")
    assert "already received by Denise Okafor" in again["text"]
    assert "Usage" not in again["text"]  # typed right: the reason alone
    assert supplies_store.get_stock("ICU", "CHG-CLOTH").on_hand == 98


async def test_the_units_charge_nurse_receives_an_order_she_could_not_approve(
    supply_bot, supplies_store, hospital,
):
    number = await approved_order(supply_bot, supplies_store, hospital)
    reply = await supply_bot.command(person(hospital, "Maya Castillo"), f"receive {number}")
    assert reply["response_type"] == "ephemeral"
    assert "(CHG-CLOTH): +96 on hand → 98 on hand, 0 on order" in reply["text"]
    assert f"{number} is now fully received." in reply["text"]
    entry = supplies_store.audit_log()[-1]
    assert (entry.action, entry.subject, entry.outcome) == ("receive", number, "RECEIVED")
    assert entry.actor.slack_user_id == person(hospital, "Maya Castillo").user_id


async def test_a_staff_nurse_is_refused_in_an_ephemeral_reply_and_stock_does_not_move(
    supply_bot, supplies_store, hospital,
):
    number = await approved_order(supply_bot, supplies_store, hospital)
    reply = await supply_bot.command(person(hospital, "Derek Lindqvist"), f"receive {number}")
    assert reply["response_type"] == "ephemeral"
    assert "Only ICU's charge nurses, manager and approvers may receive its orders" in \
        reply["text"]
    assert "Usage" not in reply["text"]
    assert supplies_store.get_stock("ICU", "CHG-CLOTH").on_hand == 2
    refusal = supplies_store.audit_log()[-1]
    assert (refusal.action, refusal.outcome) == ("ReceivePurchaseOrder", "REFUSED")


async def test_after_a_partial_delivery_receive_takes_in_only_what_is_still_expected(
    supply_bot, supplies_store, hospital,
):
    number = await approved_order(supply_bot, supplies_store, hospital)
    maya = person(hospital, "Maya Castillo")
    receipts.import_receipts(rows=[receipts.ReceiptRow(number, "CHG-CLOTH", 40)],
                             caller=Actor(maya.team_id, maya.user_id), store=supplies_store,
                             clock=fixed_clock(NOW))
    reply = await supply_bot.command(maya, f"receive {number}")
    assert "(CHG-CLOTH): +56 on hand → 98 on hand, 0 on order" in reply["text"]


async def test_receive_without_a_purchase_order_number_gets_the_usage(supply_bot, hospital):
    reply = await supply_bot.command(person(hospital, "Denise Okafor"), "receive next-tuesday")
    assert "is not a purchase order number" in reply["text"]
    assert "/supply receive PO-00001" in reply["text"]
