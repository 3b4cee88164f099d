"""The guard through the real flows: signed Slack requests over HTTP into the real Bolt app, the
real staffing and supplies servers on SQLite and PostgreSQL (tests/guard/conftest.py), the Slack
stand-in recording what the bot posted. A patient identifier is refused, the person who typed it
sees why (ephemeral or on the modal's field), and nothing reaches the channel, the thread or the
database."""

from __future__ import annotations

import json

from bot.ids import ActionId, BlockId
from tests.e2e.test_open_shift_flow_http import command, modal_values, only, person, submit
from tests.e2e.test_supply_http import posted, thread_posts
from tests.guard.test_free_text_sweep import _stored_text


def _nothing_posted(calls: list) -> None:
    assert not [c for c in calls if c.method in ("chat.postMessage", "chat.update")]


async def test_a_gap_reported_with_a_patients_name_mrn_and_bed_is_refused_privately(
        served_bot, staffing, hospital):
    maya = person(hospital, "Maya Castillo")
    calls = await command(served_bot, maya,
                          "report ICU RN 1 night Pt John Smith MRN 00123456 bed 12")
    _nothing_posted(calls)
    reply = only(calls, "response_url")
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["text"].startswith("reason: looks like a medical record number")
    assert "00123456" not in reply.body["text"]
    assert staffing.store.list_open_shifts("ICU") == []
    assert "00123456" not in " ".join(_stored_text(staffing.store.engine))


async def test_the_report_modal_shows_the_refusal_on_its_reason_field(served_bot, staffing,
                                                                      hospital):
    leticia = person(hospital, "Leticia Vargas")
    view = json.loads(json.dumps(only(await command(served_bot, leticia, "report"),
                                      "views.open").body["view"]))
    status, answer, calls = await submit(served_bot, leticia, view,
                                         modal_values(reason="Mrs Jones in room 4B"))
    assert status == 200
    _nothing_posted(calls)
    errors = json.loads(answer)
    assert errors["response_action"] == "errors"
    assert list(errors["errors"]) == [BlockId.REPORT_REASON]
    assert "room or bed" in errors["errors"][BlockId.REPORT_REASON]
    assert staffing.store.list_open_shifts("LD") == []


async def test_a_rejection_reason_naming_a_patient_is_refused_on_the_modal_and_not_posted(
        supply_bot, supplies_store, hospital):
    maya, denise = person(hospital, "Maya Castillo"), person(hospital, "Denise Okafor")
    await supply_bot.command(maya, "count ICU CHG-CLOTH 2")
    message = posted(supply_bot.slack, supplies_store)
    await supply_bot.click(denise, message, ActionId.REJECT_PROPOSAL)
    [opened] = supply_bot.slack.wait_for("views.open", 1)
    view = opened.body["view"]
    view = {**(json.loads(view) if isinstance(view, str) else view), "id": "V0REJECTPHI"}
    marker = supply_bot.slack.call_count()
    status, body = await supply_bot.submit_reject(denise, view, "Pt Jane Doe MRN 7654321")
    assert status == 200
    shown = json.loads(body)
    assert shown["response_action"] == "errors"
    assert shown["errors"][BlockId.REJECT_REASON].startswith(
        "reason: looks like a medical record number")
    _nothing_posted(supply_bot.slack.calls_since(marker))
    assert thread_posts(supply_bot.slack) == []
    assert supplies_store.get_proposal(1).state.value == "OPEN"
    assert "7654321" not in " ".join(_stored_text(supplies_store.engine))


async def test_a_rejection_naming_a_patient_in_the_thread_gets_the_reason_privately(
        bot, supplies_store, hospital):
    maya, denise = person(hospital, "Maya Castillo"), person(hospital, "Denise Okafor")
    await bot.command(maya, "count ICU CHG-CLOTH 2")
    message = posted(bot.slack, supplies_store)
    marker = bot.slack.call_count()
    await bot.reply(denise, message, "reject Pt Jane Doe MRN 7654321")
    [refusal] = bot.slack.wait_for("chat.postEphemeral", 1)
    assert (refusal.body["user"], refusal.body["thread_ts"]) == (denise.user_id, message["ts"])
    assert refusal.body["text"].startswith("reason: looks like a medical record number")
    _nothing_posted(bot.slack.calls_since(marker))
    assert supplies_store.get_proposal(1).state.value == "OPEN"
    assert "7654321" not in " ".join(_stored_text(supplies_store.engine))
