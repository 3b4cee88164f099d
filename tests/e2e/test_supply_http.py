"""Supplies end to end: signed requests into the Bolt app over HTTP, the real supplies server on
gRPC seeded with the demo hospital, and the Slack stand-in recording what the bot posted."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode

import aiohttp
import pytest
import uvicorn

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.ids import ActionId, BlockId, CallbackId
from bot.server import http_app
from clinops.clock import fixed_clock
from clinops.console import (
    SlackUser,
    block_actions_body,
    buttons_in,
    render_blocks,
    signed_headers,
    slack_user_of,
    slash_command_body,
)
from clinops.slack_standin import RecordedCall, SlackStandIn
from services.supplies.outbox import relay
from services.supplies.seed import seed_demo
from services.supplies.server import create_server
from services.supplies.store import SuppliesStore, migrate
from tests.conftest import Prepare, demo_database
from tests.e2e.outbox_delivery import Announcer

SIGNING_SECRET = "e2e-supply-signing-secret"
ICU_CHANNEL = "C0ICU0001"
# 10:30 in San Francisco on the demo hospital's "today" (the `hospital` fixture's date).
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)


@pytest.fixture
def supplies_store(prepared_database: Prepare, hospital) -> Iterator[SuppliesStore]:
    url = demo_database(prepared_database, "supplies", migrate, SuppliesStore.open, seed_demo,
                        hospital)
    store = SuppliesStore.open(url)
    yield store
    store.close()


@pytest.fixture
def supplies_port(supplies_store: SuppliesStore) -> Iterator[int]:
    server, port = create_server(store=supplies_store, clock=fixed_clock(NOW))
    server.start()
    yield port
    server.stop(grace=None)


@dataclass
class SupplyBot:
    url: str
    slack: SlackStandIn
    session: aiohttp.ClientSession
    # The store behind the supplies server: its outbox is delivered after every request.
    store: SuppliesStore | None = None
    sequence: int = 0
    # The bot's clients: the notifier records each proposal's post back through them.
    clients: ServiceClients | None = None
    _announcer: Announcer | None = None

    async def post(self, body: str) -> int:
        headers = signed_headers(body, SIGNING_SECRET, int(time.time()))
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            await response.read()
        await self.deliver_events()
        return response.status

    async def deliver_events(self) -> None:
        """Supplies' outbox delivered: new proposals' posts (their ts recorded back through the
        bot's supplies client) and the decision lines in their threads."""
        if self.store is None:
            return
        if self._announcer is None:
            self._announcer = Announcer(
                self.store.engine, relay, slack_url=self.slack.base_url, now=NOW,
                supplies=self.clients.supplies if self.clients is not None else None)
        await self._announcer.deliver()

    def _reply_url(self) -> tuple[str, str]:
        self.sequence += 1
        name = f"r-{self.sequence}"
        return name, self.slack.response_url(name)

    async def command(self, user: SlackUser, text: str) -> dict:
        """`/supply <text>`; returns what the bot answered at the command's response_url."""
        name, url = self._reply_url()
        assert await self.post(slash_command_body(user=user, command="/supply", text=text,
                                                  response_url=url)) == 200
        [reply] = self.slack.wait_for("response_url", 1, name=name)
        return reply.body

    async def click(self, user: SlackUser, message: dict, action_id: str,
                    *, action_ts: str | None = None) -> str:
        """Press a button of a posted message; returns the response_url name for replies."""
        [(block_id, button)] = [(b, x) for b, x in buttons_in(message["blocks"])
                                if x["action_id"] == action_id]
        name, url = self._reply_url()
        body = block_actions_body(user=user, block_id=block_id, button=button, response_url=url,
                                  channel_id=message["channel"], message=message,
                                  ephemeral=False)
        if action_ts is not None:
            payload = json.loads(_form(body)["payload"])
            payload["actions"][0]["action_ts"] = action_ts
            body = urlencode({"payload": json.dumps(payload)})
        assert await self.post(body) == 200
        return name

    async def submit_reject(self, user: SlackUser, view: dict, reason: str,
                            snooze_days: int | None = None) -> tuple[int, str]:
        values: dict = {BlockId.REJECT_REASON: {
            ActionId.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": reason}}}
        if snooze_days is not None:
            values[BlockId.REJECT_SNOOZE] = {ActionId.REJECT_SNOOZE_INPUT: {
                "type": "static_select", "selected_option": {
                    "text": {"type": "plain_text", "text": f"{snooze_days} days"},
                    "value": str(snooze_days)}}}
        payload = {
            "type": "view_submission",
            "team": {"id": user.team_id, "domain": "clinops-demo"},
            "user": {"id": user.user_id, "username": user.user_name, "team_id": user.team_id},
            "api_app_id": "A0CLINOPS",
            "trigger_id": "1.2.3",
            "view": {**view, "state": {"values": values}},
        }
        body = urlencode({"payload": json.dumps(payload)})
        headers = signed_headers(body, SIGNING_SECRET, int(time.time()))
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            answer = response.status, await response.text()
        await self.deliver_events()
        return answer


def _form(body: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body).items()}


@pytest.fixture
async def supply_bot(supplies_port: int, slack: SlackStandIn,
                     supplies_store: SuppliesStore) -> AsyncIterator[SupplyBot]:
    settings = BotSettings(
        bot_token="xoxb-e2e", signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
        staffing_target="127.0.0.1:1", supplies_target=f"127.0.0.1:{supplies_port}",
        training_target="127.0.0.1:1", rpc_deadline_seconds=2.0,
    )
    clients = ServiceClients.from_settings(settings)
    app = create_app(settings, clients)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(http_app(app), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.01)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield SupplyBot(f"http://127.0.0.1:{port}/slack/events", slack, session,
                        store=supplies_store, clients=clients)
    server.should_exit = True
    async with asyncio.timeout(10):
        await serving
    sock.close()
    await clients.close()


def person(hospital, name: str) -> SlackUser:
    return slack_user_of(next(s for s in hospital.staff if s.display_name == name))


def posted(slack: SlackStandIn, store: SuppliesStore, proposal_number: int = 1) -> dict:
    """The proposal's message in the unit channel, with the ts the bot recorded for it."""
    [post] = [c for c in slack.calls("chat.postMessage") if not c.body.get("thread_ts")]
    ts = store.get_proposal(proposal_number).slack_message_ts
    return {**post.body, "ts": ts, "channel": post.body["channel"]}


def thread_posts(slack: SlackStandIn) -> list[RecordedCall]:
    return [c for c in slack.calls("chat.postMessage") if c.body.get("thread_ts")]


def reply_text(slack: SlackStandIn, name: str) -> str:
    [reply] = slack.wait_for("response_url", 1, name=name)
    return reply.body["text"]


async def test_a_low_count_posts_the_proposal_and_the_manager_approves_it_in_the_thread(
    supply_bot, supplies_store, hospital
):
    maya, denise = person(hospital, "Maya Castillo"), person(hospital, "Denise Okafor")
    reply = await supply_bot.command(maya, "count ICU CHG-CLOTH 2")
    assert reply["response_type"] == "ephemeral"
    assert "opened reorder proposal RP-00001 ($696.00) in <#C0ICU0001>" in reply["text"]
    message = posted(supply_bot.slack, supplies_store)
    assert message["channel"] == ICU_CHANNEL and message["ts"]
    text = render_blocks(message["blocks"])
    assert "CHG-CLOTH): 96 (4 × 24) · $696.00" in text
    assert "ROP 55 · position 2 · par 92" in text
    assert "month to date $0.00 of $40,000.00 budget" in text
    assert [b["text"]["text"] for _, b in buttons_in(message["blocks"])] == [
        "Approve", "Edit quantities", "Reject"]

    await supply_bot.click(denise, message, ActionId.APPROVE_PROPOSAL)
    [thread] = thread_posts(supply_bot.slack)
    assert thread.body["channel"] == ICU_CHANNEL and thread.body["thread_ts"] == message["ts"]
    assert thread.body["text"].startswith(
        ":white_check_mark: Approved by <@U0ICU001> (Denise Okafor) at ")
    assert "purchase order PO-00001" in thread.body["text"]
    [update] = supply_bot.slack.calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (ICU_CHANNEL, message["ts"])
    assert "Approved by @U0ICU001 (Denise Okafor)" in render_blocks(update.body["blocks"])
    assert buttons_in(update.body["blocks"]) == []


async def test_a_staff_nurse_clicking_approve_is_refused_privately_and_nothing_is_decided(
    supply_bot, supplies_store, hospital
):
    maya, derek = person(hospital, "Maya Castillo"), person(hospital, "Derek Lindqvist")
    await supply_bot.command(maya, "count ICU CHG-CLOTH 2")
    message = posted(supply_bot.slack, supplies_store)
    name = await supply_bot.click(derek, message, ActionId.APPROVE_PROPOSAL)
    [refusal] = supply_bot.slack.wait_for("response_url", 1, name=name)
    assert refusal.body["response_type"] == "ephemeral"
    assert refusal.body["replace_original"] is False
    assert refusal.body["text"] == "You are not an approver for ICU's orders; ask Denise Okafor"
    assert thread_posts(supply_bot.slack) == [] and supply_bot.slack.calls("chat.update") == []
    assert supplies_store.get_proposal(1).state.value == "OPEN"
    # Refused by supplies' authorisation table, before the use case, and audited there.
    assert [e.outcome for e in supplies_store.audit_log()
            if e.action == "DecideProposal"] == ["REFUSED"]


async def test_a_double_click_on_approve_makes_one_decision_and_one_order(
    supply_bot, supplies_store, hospital
):
    maya, denise = person(hospital, "Maya Castillo"), person(hospital, "Denise Okafor")
    await supply_bot.command(maya, "count ICU CHG-CLOTH 2")
    message = posted(supply_bot.slack, supplies_store)
    await asyncio.gather(
        supply_bot.click(denise, message, ActionId.APPROVE_PROPOSAL, action_ts="100.000001"),
        supply_bot.click(denise, message, ActionId.APPROVE_PROPOSAL, action_ts="100.000002"),
    )
    assert len(supplies_store.purchase_orders()) == 1
    assert len(thread_posts(supply_bot.slack)) == 1
    assert len(supply_bot.slack.calls("chat.update")) == 1
    [already] = supply_bot.slack.calls("response_url")[1:]
    assert already.body["response_type"] == "ephemeral"
    assert already.body["text"].startswith("RP-00001 was already approved by Denise Okafor")


async def test_above_the_managers_limit_the_thread_mentions_the_director_who_then_approves(
    supply_bot, supplies_store, hospital
):
    maya = person(hospital, "Maya Castillo")
    denise, harold = person(hospital, "Denise Okafor"), person(hospital, "Harold Jimenez")
    for sku in ("CHG-CLOTH", "IV-SET-PRIMARY", "GLOVE-NIT-S", "GLOVE-NIT-M", "GLOVE-NIT-L",
                "NS-1000", "LR-1000", "IVCATH-18G"):
        await supply_bot.command(maya, f"count ICU {sku} 0")
    assert supplies_store.get_proposal(1).total_cents > 250_000
    # The first count posted the message; the seven after it updated it in place.
    assert len(supply_bot.slack.calls("chat.update")) == 7
    message = posted(supply_bot.slack, supplies_store)
    await supply_bot.click(denise, message, ActionId.APPROVE_PROPOSAL)
    [escalated] = thread_posts(supply_bot.slack)
    assert escalated.body["text"].startswith(
        f":arrow_up: <@{denise.user_id}> (Denise Okafor) approved, but $")
    assert "above their limit: escalated to <@" + harold.user_id + "> (Harold Jimenez)" \
        in escalated.body["text"]
    await supply_bot.click(harold, message, ActionId.APPROVE_PROPOSAL)
    approved = thread_posts(supply_bot.slack)[1]
    assert approved.body["text"].startswith(
        f":white_check_mark: Approved by <@{harold.user_id}> (Harold Jimenez)")


async def test_reject_asks_for_a_reason_in_a_modal_and_the_reason_goes_in_the_thread(
    supply_bot, supplies_store, hospital
):
    maya, denise = person(hospital, "Maya Castillo"), person(hospital, "Denise Okafor")
    await supply_bot.command(maya, "count ICU CHG-CLOTH 2")
    message = posted(supply_bot.slack, supplies_store)
    await supply_bot.click(denise, message, ActionId.REJECT_PROPOSAL)
    [opened] = supply_bot.slack.wait_for("views.open", 1)
    view = opened.body["view"]
    view = {**(json.loads(view) if isinstance(view, str) else view), "id": "V0REJECT1"}
    assert view["callback_id"] == CallbackId.REJECT_PROPOSAL
    assert view["private_metadata"] == "RP-00001"
    status, body = await supply_bot.submit_reject(denise, view, "CHG is on the cart today",
                                                  snooze_days=3)
    assert status == 200 and body == ""
    [thread] = thread_posts(supply_bot.slack)
    assert thread.body["text"].startswith(":x: Rejected by <@U0ICU001> (Denise Okafor) at ")
    rejected = supplies_store.get_proposal(1)
    assert rejected.rejection_reason == "CHG is on the cart today"
    # The snooze Denise picked in the modal holds the items, and the thread says until when.
    assert rejected.held_until == rejected.decided_at + timedelta(days=3)
    assert thread.body["text"].endswith(
        "Reason: CHG is on the cart today\nI won't propose these items again until the count "
        f"changes or until {rejected.held_until:%Y-%m-%d %H:%M} UTC.")


async def test_a_nurse_submitting_the_reject_modal_sees_the_refusal_on_the_reason_field(
    supply_bot, supplies_store, hospital
):
    maya, derek = person(hospital, "Maya Castillo"), person(hospital, "Derek Lindqvist")
    await supply_bot.command(maya, "count ICU CHG-CLOTH 2")
    view = {"id": "V0REJECT2", "callback_id": CallbackId.REJECT_PROPOSAL,
            "private_metadata": "RP-00001", "type": "modal"}
    status, body = await supply_bot.submit_reject(derek, view, "no")
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert answer["errors"][BlockId.REJECT_REASON].startswith("You are not an approver")
    assert thread_posts(supply_bot.slack) == []


async def test_status_lists_what_is_short_with_the_out_of_stock_item_among_them(
    supply_bot, hospital
):
    maya = person(hospital, "Maya Castillo")
    await supply_bot.command(maya, "count ICU CHG-CLOTH 0")
    reply = await supply_bot.command(maya, "status ICU")
    text = render_blocks(reply["blocks"])
    assert text.startswith("Supplies short — ICU\n")
    assert "(CHG-CLOTH) · critical\non hand 0 · on order 0" in text
    assert "OUT OF STOCK, at or below reorder point, below par" in text


async def test_an_unknown_unit_or_sku_gets_the_services_reason_and_the_usage(supply_bot, hospital):
    maya = person(hospital, "Maya Castillo")
    reply = await supply_bot.command(maya, "count ICU NOPE-1 3")
    assert reply["text"].startswith("No item with SKU 'NOPE-1'\n*Usage:*")
    reply = await supply_bot.command(maya, "status NOWHERE")
    assert reply["text"].startswith("No unit 'NOWHERE'")
