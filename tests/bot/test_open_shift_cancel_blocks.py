"""The open-shift message's Cancel button and its cancelled state, built without Slack."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.open_shift import cancel_thread_text, open_shift_blocks
from clinops.common.v1 import common_pb2
from clinops.console import render_blocks
from clinops.staffing.v1 import staffing_pb2 as pb


def shift(**fields) -> pb.OpenShift:  # noqa: ANN003
    window = common_pb2.ShiftWindow(date=common_pb2.Date(year=2026, month=11, day=27),
                                    shift=common_pb2.SHIFT_NIGHT)
    return pb.OpenShift(**{"open_shift_id": "os1", "unit_id": "ICU", "window": window,
                           "role": pb.STAFF_ROLE_RN, "slots": 2, "reason": "call-out",
                           "state": pb.OPEN_SHIFT_STATE_OPEN, **fields})


def test_only_the_channel_post_carries_cancel_a_dm_offer_does_not() -> None:
    assert "[1] Claim   [2] Cancel" in render_blocks(open_shift_blocks(shift(), in_channel=True))
    offered = render_blocks(open_shift_blocks(shift()))
    assert "[1] Claim" in offered and "Cancel" not in offered


def test_a_cancelled_shift_names_who_and_when_and_offers_no_buttons() -> None:
    cancelled = shift(state=pb.OPEN_SHIFT_STATE_CANCELLED, slots_filled=1,
                      awarded_display_names=["Priya Raman"],
                      cancelled_by_display_name="Maya Chen",
                      cancelled_by_slack_user_id="U0ICU002")
    cancelled.cancelled_at.FromDatetime(datetime(2026, 11, 26, 18, 5, tzinfo=UTC))
    text = render_blocks(open_shift_blocks(cancelled, in_channel=True))
    assert "Cancelled by @U0ICU002 (Maya Chen) at 2026-11-26 18:05 UTC" in text
    assert "[1]" not in text
    assert cancel_thread_text(cancelled) == (
        ":x: Cancelled by <@U0ICU002> (Maya Chen) at 2026-11-26 18:05 UTC — no more claims, "
        "escalation stopped. Already awarded, and kept: Priya Raman.")
