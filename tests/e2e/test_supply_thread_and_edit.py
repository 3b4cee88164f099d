"""Supplies end to end, part two: Edit quantities through its modal, and decisions replied in the
proposal's thread as Events API `message` events (signed, over HTTP, retries deduplicated in
real Redis), against the real supplies server seeded with the demo hospital and the stand-in."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
import redis.asyncio as redis
import uvicorn

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.dedupe import RedisDedupe
from bot.ids import ActionId, BlockId, CallbackId
from bot.server import http_app
from clinops.console import SlackUser, buttons_in, render_blocks, signed_headers
from clinops.slack_standin import SlackStandIn
from tests.e2e.test_supply_http import (
    ICU_CHANNEL,
    SIGNING_SECRET,
    SupplyBot,
    person,
    posted,
    thread_posts,
)

# The supplies server and its seeded store, as in the first supplies e2e file.
from tests.e2e.test_supply_http import supplies_port, supplies_store  # noqa: F401  isort: skip

REDIS_URL = "redis://127.0.0.1:6379/0"


class ThreadBot(SupplyBot):
    """SupplyBot plus thread replies as Events API deliveries and the edit modal's submission."""

    async def post_json(self, payload: dict, *, retry: int = 0) -> int:
        body = json.dumps(payload)
        headers = {**signed_headers(body, SIGNING_SECRET, int(time.time())),
                   "content-type": "application/json"}
        if retry:
            headers |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            await response.read()
        await self.deliver_events()
        return response.status

    def reply_event(self, user: SlackUser, message: dict, text: str) -> dict:
        """The `message` event Slack sends when someone replies in a message's thread."""
        self.sequence += 1
        ts = f"{time.time():.0f}.{self.sequence:06d}"
        return {
            "token": "demo-verification-token", "team_id": user.team_id,
            "api_app_id": "A0CLINOPS", "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(time.time()),
            "authorizations": [{"team_id": user.team_id, "user_id": "U0CLINBOT",
                                "is_bot": True, "is_enterprise_install": False}],
            "event": {"type": "message", "channel": message["channel"], "user": user.user_id,
                      "text": text, "ts": ts, "thread_ts": message["ts"],
                      "parent_user_id": "U0CLINBOT", "channel_type": "channel",
                      "event_ts": ts, "team": user.team_id},
        }

    async def reply(self, user: SlackUser, message: dict, text: str) -> dict:
        event = self.reply_event(user, message, text)
        assert await self.post_json(event) == 200
        return event

    async def submit_edit(self, user: SlackUser, view: dict, quantities: dict[str, str]
                          ) -> tuple[int, str]:
        values = {f"{BlockId.EDIT_QUANTITY}.{sku}": {ActionId.EDIT_QUANTITY_INPUT: {
            "type": "number_input", "value": value}} for sku, value in quantities.items()}
        payload = {
            "type": "view_submission",
            "team": {"id": user.team_id, "domain": "clinops-demo"},
            "user": {"id": user.user_id, "username": user.user_name, "team_id": user.team_id},
            "api_app_id": "A0CLINOPS", "trigger_id": "1.2.3",
            "view": {**view, "state": {"values": values}},
        }
        from urllib.parse import urlencode

        body = urlencode({"payload": json.dumps(payload)})
        headers = signed_headers(body, SIGNING_SECRET, int(time.time()))
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            answer = response.status, await response.text()
        await self.deliver_events()
        return answer


@pytest.fixture
async def dedupe() -> AsyncIterator[RedisDedupe]:
    """Real Redis, under a prefix no other test (or engineer) uses; keys removed afterwards."""
    prefix = f"test:{uuid.uuid4().hex}:"
    seen = RedisDedupe(redis.Redis.from_url(REDIS_URL), prefix=prefix, ttl_seconds=3600)
    yield seen
    keys = [key async for key in seen.client.scan_iter(match=prefix + "*")]
    if keys:
        await seen.client.delete(*keys)
    await seen.close()


@pytest.fixture
async def bot(supplies_port: int, slack: SlackStandIn, dedupe: RedisDedupe,  # noqa: F811
              supplies_store) -> AsyncIterator[ThreadBot]:  # noqa: F811
    settings = BotSettings(
        bot_token="xoxb-e2e", signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
        staffing_target="127.0.0.1:1", supplies_target=f"127.0.0.1:{supplies_port}",
        training_target="127.0.0.1:1", rpc_deadline_seconds=2.0,
    )
    clients = ServiceClients.from_settings(settings)
    app = create_app(settings, clients, dedupe=dedupe)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(http_app(app), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.01)
    port = sock.getsockname()[1]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield ThreadBot(f"http://127.0.0.1:{port}/slack/events", slack, session,
                        store=supplies_store, clients=clients)
    server.should_exit = True
    async with asyncio.timeout(10):
        await serving
    sock.close()
    await clients.close()


async def proposal_posted(bot: ThreadBot, store, hospital) -> dict:  # noqa: ANN001
    await bot.command(person(hospital, "Maya Castillo"), "count ICU CHG-CLOTH 2")
    return posted(bot.slack, store)


def opened_view(slack: SlackStandIn) -> dict:
    [opened] = slack.wait_for("views.open", 1)
    view = opened.body["view"]
    return {**(json.loads(view) if isinstance(view, str) else view), "id": "V0EDIT0001"}


# ---- edit quantities ------------------------------------------------------------------------

async def test_the_manager_edits_a_quantity_in_the_modal_then_approves_the_edited_order(
    bot, supplies_store, hospital  # noqa: F811
):
    denise = person(hospital, "Denise Okafor")
    message = await proposal_posted(bot, supplies_store, hospital)
    await bot.click(denise, message, ActionId.EDIT_QUANTITIES)
    view = opened_view(bot.slack)
    assert view["callback_id"] == CallbackId.EDIT_QUANTITIES
    assert view["private_metadata"] == "RP-00001"
    [line] = [b for b in view["blocks"] if b["type"] == "input"]
    assert line["block_id"] == f"{BlockId.EDIT_QUANTITY}.CHG-CLOTH"
    assert line["element"]["type"] == "number_input"
    assert line["element"]["initial_value"] == "96"
    assert line["label"]["text"].endswith(" (CHG-CLOTH, packs of 24)")

    # 40 cloths become two whole packs of 24.
    status, body = await bot.submit_edit(denise, view, {"CHG-CLOTH": "40"})
    assert (status, body) == (200, "")
    [thread] = thread_posts(bot.slack)
    assert thread.body["thread_ts"] == message["ts"]
    assert thread.body["text"] == (":pencil2: Quantities edited by <@U0ICU001>: CHG-CLOTH 48. "
                                   "New total $348.00.")
    [update] = bot.slack.calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (ICU_CHANNEL, message["ts"])
    shown = render_blocks(update.body["blocks"])
    assert "CHG-CLOTH): 48 (2 × 24) · $348.00" in shown
    assert "Total $348.00 · month to date $0.00 of $40,000.00 budget ($348.00 with this order" \
        in shown
    assert "Open — waiting for an approver" in shown

    await bot.click(denise, {**message, "blocks": update.body["blocks"]},
                    ActionId.APPROVE_PROPOSAL)
    approved = thread_posts(bot.slack)[1]
    assert approved.body["text"].startswith(":white_check_mark: Approved by <@U0ICU001>")
    assert "$348.00; purchase order PO-00001" in approved.body["text"]
    [order] = supplies_store.purchase_orders()
    assert [(x.sku, x.quantity) for x in order.lines] == [("CHG-CLOTH", 48)]


async def test_a_quantity_that_is_not_a_whole_number_is_shown_on_its_field_and_nothing_changes(
    bot, supplies_store, hospital  # noqa: F811
):
    denise = person(hospital, "Denise Okafor")
    message = await proposal_posted(bot, supplies_store, hospital)
    await bot.click(denise, message, ActionId.EDIT_QUANTITIES)
    status, body = await bot.submit_edit(denise, opened_view(bot.slack), {"CHG-CLOTH": "-3"})
    assert status == 200
    assert json.loads(body) == {"response_action": "errors", "errors": {
        f"{BlockId.EDIT_QUANTITY}.CHG-CLOTH": "A whole number of items, 0 or more."}}
    assert thread_posts(bot.slack) == []
    assert supplies_store.get_proposal(1).lines[0].quantity == 96


async def test_a_nurse_clicking_edit_is_refused_privately_before_any_modal_opens(
    bot, supplies_store, hospital  # noqa: F811
):
    derek = person(hospital, "Derek Lindqvist")
    message = await proposal_posted(bot, supplies_store, hospital)
    answered = len(bot.slack.calls("response_url"))
    await bot.click(derek, message, ActionId.EDIT_QUANTITIES)
    # The proposal (who decided it) is for ICU's approvers and receivers: supplies' table
    # refuses Derek the GetProposal the modal is built from, so no modal he cannot submit.
    refusal = bot.slack.wait_for("response_url", answered + 1)[-1]
    assert refusal.body["text"] == "You are not an approver for ICU's orders; ask Denise Okafor"
    assert bot.slack.calls("views.open") == []
    assert thread_posts(bot.slack) == [] and bot.slack.calls("chat.update") == []
    assert [e.outcome for e in supplies_store.audit_log()
            if e.action == "GetProposal"] == ["REFUSED"]


# ---- decisions replied in the thread ----------------------------------------------------------

async def test_the_manager_replying_approve_in_the_thread_decides_once_and_updates_the_parent(
    bot, supplies_store, hospital  # noqa: F811
):
    denise = person(hospital, "Denise Okafor")
    message = await proposal_posted(bot, supplies_store, hospital)
    await bot.reply(denise, message, "approve")
    [thread] = thread_posts(bot.slack)
    assert (thread.body["channel"], thread.body["thread_ts"]) == (ICU_CHANNEL, message["ts"])
    assert thread.body["text"].startswith(
        ":white_check_mark: Approved by <@U0ICU001> (Denise Okafor) at ")
    [update] = bot.slack.calls("chat.update")
    assert update.body["ts"] == message["ts"]
    assert "Approved by @U0ICU001 (Denise Okafor)" in render_blocks(update.body["blocks"])
    assert buttons_in(update.body["blocks"]) == []
    assert supplies_store.decisions(1) == [("APPROVE", "APPROVED", "Denise Okafor")]
    assert len(supplies_store.purchase_orders()) == 1


async def test_slack_delivering_the_same_reply_again_with_a_retry_header_decides_nothing_twice(
    bot, supplies_store, hospital  # noqa: F811
):
    denise = person(hospital, "Denise Okafor")
    message = await proposal_posted(bot, supplies_store, hospital)
    event = bot.reply_event(denise, message, "approve")
    assert await bot.post_json(event) == 200
    assert await bot.post_json(event, retry=1) == 200
    assert await bot.post_json(event, retry=2) == 200
    assert supplies_store.decisions(1) == [("APPROVE", "APPROVED", "Denise Okafor")]
    assert len(supplies_store.purchase_orders()) == 1
    assert len(thread_posts(bot.slack)) == 1 and len(bot.slack.calls("chat.update")) == 1
    assert bot.slack.calls("chat.postEphemeral") == []


async def test_two_deliveries_of_one_reply_at_the_same_moment_decide_once(
    bot, supplies_store, hospital  # noqa: F811
):
    denise = person(hospital, "Denise Okafor")
    message = await proposal_posted(bot, supplies_store, hospital)
    event = bot.reply_event(denise, message, "approve")
    await asyncio.gather(bot.post_json(event), bot.post_json(event, retry=1))
    assert len(supplies_store.purchase_orders()) == 1
    assert len(thread_posts(bot.slack)) == 1


async def test_reject_without_a_reason_gets_the_usage_privately_and_decides_nothing(
    bot, supplies_store, hospital  # noqa: F811
):
    denise = person(hospital, "Denise Okafor")
    message = await proposal_posted(bot, supplies_store, hospital)
    await bot.reply(denise, message, "reject")
    [usage] = bot.slack.wait_for("chat.postEphemeral", 1)
    assert (usage.body["channel"], usage.body["user"], usage.body["thread_ts"]) == (
        ICU_CHANNEL, denise.user_id, message["ts"])
    assert usage.body["text"].startswith("To decide in this thread, reply `approve`, or "
                                         "`reject &lt;reason&gt;`")
    assert thread_posts(bot.slack) == []
    assert supplies_store.get_proposal(1).state.value == "OPEN"


async def test_reject_with_a_reason_in_the_thread_records_the_reason(
    bot, supplies_store, hospital  # noqa: F811
):
    denise = person(hospital, "Denise Okafor")
    message = await proposal_posted(bot, supplies_store, hospital)
    await bot.reply(denise, message, "<@U0CLINBOT> Reject central supply is sending a cart")
    [thread] = thread_posts(bot.slack)
    assert "Reason: central supply is sending a cart\n" in thread.body["text"]
    rejected = supplies_store.get_proposal(1)
    assert rejected.rejection_reason == "central supply is sending a cart"
    # A reply in the thread picks no snooze: the rejection holds for the default week.
    assert rejected.held_until == rejected.decided_at + timedelta(days=7)
    assert thread.body["text"].endswith(
        f"until the count changes or until {rejected.held_until:%Y-%m-%d %H:%M} UTC.")


async def test_a_staff_nurse_replying_approve_is_refused_privately_and_the_attempt_audited(
    bot, supplies_store, hospital  # noqa: F811
):
    derek = person(hospital, "Derek Lindqvist")
    message = await proposal_posted(bot, supplies_store, hospital)
    await bot.reply(derek, message, "approve")
    [refusal] = bot.slack.wait_for("chat.postEphemeral", 1)
    assert refusal.body["user"] == derek.user_id and refusal.body["thread_ts"] == message["ts"]
    assert refusal.body["text"] == "You are not an approver for ICU's orders; ask Denise Okafor"
    assert thread_posts(bot.slack) == [] and bot.slack.calls("chat.update") == []
    assert supplies_store.get_proposal(1).state.value == "OPEN"
    [refused] = [e for e in supplies_store.audit_log() if e.action == "DecideProposal"]
    assert (refused.outcome, refused.actor.slack_user_id) == ("REFUSED", derek.user_id)


async def test_a_second_approver_replying_after_the_decision_is_told_who_decided(
    bot, supplies_store, hospital  # noqa: F811
):
    denise, harold = person(hospital, "Denise Okafor"), person(hospital, "Harold Jimenez")
    message = await proposal_posted(bot, supplies_store, hospital)
    await bot.reply(denise, message, "approve")
    await bot.reply(harold, message, "approve")
    [already] = bot.slack.wait_for("chat.postEphemeral", 1)
    assert already.body["text"].startswith("RP-00001 was already approved by Denise Okafor")
    assert len(supplies_store.purchase_orders()) == 1


async def test_other_talk_in_the_thread_and_replies_in_other_threads_are_left_alone(
    bot, supplies_store, hospital  # noqa: F811
):
    denise = person(hospital, "Denise Okafor")
    message = await proposal_posted(bot, supplies_store, hospital)
    await bot.reply(denise, message, "approve once pharmacy confirms?")
    await bot.reply(denise, message, "I'll approve it after rounds")
    await bot.reply(denise, {**message, "ts": "1700000000.000001"}, "approve")
    # The bot's own echo in a thread comes back as an event too: never a decision.
    own = bot.reply_event(denise, message, "approve")
    own["event"] |= {"user": "U0CLINBOT", "bot_id": "B0CLINBOT"}
    assert await bot.post_json(own) == 200
    assert supplies_store.get_proposal(1).state.value == "OPEN"
    assert thread_posts(bot.slack) == [] and bot.slack.calls("chat.postEphemeral") == []
