"""Cancel on the open-shift message: signed Slack requests over HTTP into the real Bolt app, real
staffing on port 0. Only the unit's charge nurse or manager may; the parent says who cancelled,
the thread says the ladder stopped, and a later claim is told the shift was cancelled."""

from __future__ import annotations

from bot.ids import ActionId
from tests.e2e.test_open_shift_flow_http import (  # noqa: F401 - `staffing` is a fixture
    click,
    command,
    only,
    person,
    staffing,
    text_of,
)


async def test_the_charge_nurse_cancels_and_a_later_claim_is_told_it_was_cancelled(
    served_bot, hospital, staffing,  # noqa: ANN001, F811
) -> None:
    leticia = person(hospital, "Leticia Vargas")
    posted = only(await command(served_bot, leticia, "report LD RN tomorrow night call-out"),
                  "chat.postMessage")
    assert "[1] Claim   [2] Cancel" in text_of(posted)

    refused = await click(served_bot, person(hospital, "Sarah Whitman"), posted,
                          ActionId.CANCEL_OPEN_SHIFT)
    assert [c.method for c in refused] == ["response_url"]
    assert "Only the charge nurse or manager of LD can cancel its open shifts" in (
        refused[0].body["text"])

    cancelled = await click(served_bot, leticia, posted, ActionId.CANCEL_OPEN_SHIFT)
    update = only(cancelled, "chat.update")
    assert update.body["ts"] == posted.answer["ts"]
    parent = text_of(update)
    assert f"Cancelled by @{leticia.user_id} (Leticia Vargas) at " in parent
    assert "[1] Claim" not in parent
    assert not [c for c in cancelled if c.method == "chat.postMessage"]
    # The line in the thread is staffing's open_shift.cancelled event, committed with the cancel.
    thread = only(await served_bot.deliver(), "chat.postMessage")
    assert thread.body["thread_ts"] == posted.answer["ts"]
    assert thread.body["text"].startswith(f":x: Cancelled by <@{leticia.user_id}> (Leticia "
                                          "Vargas) at ")
    assert "no more claims, escalation stopped" in thread.body["text"]

    # A Claim button still on someone's screen: the answer says it was cancelled.
    late = await click(served_bot, person(hospital, "Adriana Molina"), posted,
                       ActionId.CLAIM_OPEN_SHIFT)
    assert [c.method for c in late] == ["response_url"]
    assert "was cancelled by the charge nurse" in only(late, "response_url").body["text"]

    again = await click(served_bot, leticia, posted, ActionId.CANCEL_OPEN_SHIFT)
    assert [c.method for c in again] == ["response_url"]
    assert "already cancelled" in again[0].body["text"]
