"""What a reply in a proposal's thread means, and the edit modal's values: no Slack involved."""

import pytest

from bot.commands.supply import ThreadDecision, parse_edit_values, parse_thread_reply
from bot.ids import ActionId, BlockId
from clinops.supplies.v1 import supplies_pb2 as pb


@pytest.mark.parametrize("text", ["approve", "Approve", "APPROVE.", "<@U0CLINBOT> approve",
                                  "  approve  "])
def test_approve_alone_is_an_approval(text: str) -> None:
    assert parse_thread_reply(text) == ThreadDecision(pb.DECISION_APPROVE)


def test_reject_carries_the_rest_as_the_reason() -> None:
    assert parse_thread_reply("reject central supply is sending a cart") == ThreadDecision(
        pb.DECISION_REJECT, "central supply is sending a cart")


def test_reject_alone_has_no_reason_for_the_service_to_refuse() -> None:
    assert parse_thread_reply("Reject") == ThreadDecision(pb.DECISION_REJECT, "")


@pytest.mark.parametrize("text", ["", "lgtm", "approve once pharmacy confirms?",
                                  "I'll approve it after rounds", "<@U0CLINBOT>"])
def test_other_talk_is_not_a_decision(text: str) -> None:
    assert parse_thread_reply(text) is None


def test_edit_values_become_sku_quantities_and_bad_ones_errors_on_their_line() -> None:
    def value(v: str | None) -> dict:
        return {ActionId.EDIT_QUANTITY_INPUT: {"type": "number_input", "value": v}}

    edits, errors = parse_edit_values({
        f"{BlockId.EDIT_QUANTITY}.CHG-CLOTH": value("48"),
        f"{BlockId.EDIT_QUANTITY}.NS-1000": value("1.5"),
        f"{BlockId.EDIT_QUANTITY}.LR-1000": value(None),
        "something.else": value("3"),
    })
    assert edits == [("CHG-CLOTH", 48)]
    assert set(errors) == {f"{BlockId.EDIT_QUANTITY}.NS-1000", f"{BlockId.EDIT_QUANTITY}.LR-1000"}
