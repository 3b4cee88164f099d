"""Renewal review and the compliance export end to end: signed slash commands, block_actions and
view_submission payloads into the real Bolt app over HTTP, the real training server on gRPC seeded
with the demo hospital, and the Slack stand-in recording every DM, update and upload."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

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
from clinops.slack_standin import UPLOAD_METHOD, RecordedCall, SlackStandIn
from services.training.outbox import relay
from services.training.seed import seed_demo
from services.training.server import create_server
from services.training.store import TrainingStore, migrate
from tests.conftest import Prepare, demo_database
from tests.e2e.outbox_delivery import deliver_outbox

SIGNING_SECRET = "certs-review-e2e-signing-secret"
# 10:30 in San Francisco on the demo hospital's "today" (the `hospital` fixture's 2026-11-26).
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
RENEWED = date(2028, 11, 30)


@pytest.fixture
def training_store(prepared_database: Prepare, hospital) -> Iterator[TrainingStore]:
    url = demo_database(prepared_database, "training", migrate, TrainingStore.open, seed_demo,
                        hospital)
    store = TrainingStore.open(url)
    yield store
    store.close()


@pytest.fixture
def training_port(training_store: TrainingStore) -> Iterator[int]:
    server, port = create_server(store=training_store, clock=fixed_clock(NOW))
    server.start()
    yield port
    server.stop(grace=None)


@dataclass
class ReviewBot:
    url: str
    slack: SlackStandIn
    session: aiohttp.ClientSession
    # The store behind the training server: its outbox is delivered after every request.
    store: TrainingStore | None = None
    sequence: int = 0

    async def post(self, body: str) -> tuple[int, str]:
        headers = signed_headers(body, SIGNING_SECRET, int(time.time()))
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            answer = response.status, await response.text()
        if self.store is not None:
            # Training's events (the submitter's DM about a decision) go out as the notifier would.
            await deliver_outbox(self.store.engine, relay, slack_url=self.slack.base_url, now=NOW)
        return answer

    def _reply_url(self) -> tuple[str, str]:
        self.sequence += 1
        name = f"r-{self.sequence}"
        return name, self.slack.response_url(name)

    async def certs(self, user: SlackUser, text: str) -> dict:
        """`/certs <text>` as `user`; the ephemeral reply posted to its response_url."""
        name, url = self._reply_url()
        status, _ = await self.post(slash_command_body(user=user, command="/certs", text=text,
                                                       response_url=url))
        assert status == 200
        [reply] = self.slack.wait_for("response_url", 1, name=name)
        assert reply.body["response_type"] == "ephemeral"
        return reply.body

    async def click(self, user: SlackUser, message: dict, action_id: str) -> str:
        """Press a button of a DM the bot posted; returns the response_url name for replies."""
        [(block_id, button)] = [(b, x) for b, x in buttons_in(message["blocks"])
                                if x["action_id"] == action_id]
        name, url = self._reply_url()
        body = block_actions_body(user=user, block_id=block_id, button=button, response_url=url,
                                  channel_id=message["channel"], message=message,
                                  ephemeral=False)
        status, _ = await self.post(body)
        assert status == 200
        return name

    async def submit_reason(self, user: SlackUser, view: dict, reason: str) -> tuple[int, str]:
        payload = {
            "type": "view_submission",
            "team": {"id": user.team_id, "domain": "clinops-demo"},
            "user": {"id": user.user_id, "username": user.user_name, "team_id": user.team_id},
            "api_app_id": "A0CLINOPS",
            "trigger_id": "1.2.3",
            "view": {**view, "state": {"values": {BlockId.RENEWAL_REJECT_REASON: {
                ActionId.REJECT_RENEWAL_REASON_INPUT: {"type": "plain_text_input",
                                                       "value": reason}}}}},
        }
        return await self.post(urlencode({"payload": json.dumps(payload)}))


@pytest.fixture
async def review_bot(training_port: int, slack: SlackStandIn,
                     training_store: TrainingStore) -> AsyncIterator[ReviewBot]:
    settings = BotSettings(
        bot_token="xoxb-e2e", signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
        staffing_target="127.0.0.1:1", supplies_target="127.0.0.1:1",
        training_target=f"127.0.0.1:{training_port}", rpc_deadline_seconds=2.0,
    )
    clients = ServiceClients.from_settings(settings)
    app = create_app(settings, clients)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(http_app(app), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield ReviewBot(url, slack, session, store=training_store)
    server.should_exit = True
    async with asyncio.timeout(10):
        await serving
    sock.close()
    await clients.close()


def person(hospital, name: str) -> SlackUser:
    return slack_user_of(next(s for s in hospital.staff if s.display_name == name))


def dm_channel(slack: SlackStandIn, user: SlackUser) -> str:
    """The DM channel the stand-in's conversations.open gives for one person."""
    return f"D{user.user_id}"


def posts_to(slack: SlackStandIn, user: SlackUser) -> list[RecordedCall]:
    return [c for c in slack.calls("chat.postMessage")
            if c.body.get("channel") == dm_channel(slack, user)]


def review_dm(slack: SlackStandIn, reviewer: SlackUser) -> dict:
    """The review message in a reviewer's DM, with the ts the stand-in gave it."""
    [post] = posts_to(slack, reviewer)
    index = slack.calls("chat.postMessage").index(post)
    # Slack sends the message's ts in the click's container; the bot must update that message.
    return {**post.body, "ts": f"1790000000.{index:06d}", "channel": post.body["channel"]}


async def submit_dereks_acls(review_bot: ReviewBot, hospital) -> dict:
    derek = person(hospital, "Derek Lindqvist")
    return await review_bot.certs(derek, f"renew ACLS {RENEWED.isoformat()}")


async def test_the_icu_manager_and_the_educators_get_the_renewal_by_dm_with_verify_and_reject(
    review_bot, hospital
):
    reply = await submit_dereks_acls(review_bot, hospital)
    assert reply["text"].endswith(
        "Sent to Denise Okafor, Elaine Brennan and Yolanda Pierce.")
    for name in ("Denise Okafor", "Elaine Brennan", "Yolanda Pierce"):
        reviewer = person(hospital, name)
        message = review_dm(review_bot.slack, reviewer)
        assert message["text"] == "Derek Lindqvist submitted ACLS renewal, expires 2028-11-30"
        assert [b["text"]["text"] for _, b in buttons_in(message["blocks"])] == [
            "Verify", "Reject"]
    opened = {c.body["users"] for c in review_bot.slack.calls("conversations.open")}
    assert opened == {person(hospital, n).user_id
                      for n in ("Denise Okafor", "Elaine Brennan", "Yolanda Pierce")}
    # Nobody else hears of it: not the charge nurse, not the unit channel.
    assert posts_to(review_bot.slack, person(hospital, "Maya Castillo")) == []
    assert len(review_bot.slack.calls("chat.postMessage")) == 3


async def test_the_educator_verifies_the_record_changes_the_dm_updates_and_derek_is_told(
    review_bot, training_store, hospital
):
    derek, elaine = person(hospital, "Derek Lindqvist"), person(hospital, "Elaine Brennan")
    await submit_dereks_acls(review_bot, hospital)
    message = review_dm(review_bot.slack, elaine)
    await review_bot.click(elaine, message, ActionId.VERIFY_RENEWAL)

    [update] = review_bot.slack.wait_for("chat.update", 1)
    assert (update.body["channel"], update.body["ts"]) == (message["channel"], message["ts"])
    shown = render_blocks(update.body["blocks"])
    assert "Derek Lindqvist submitted ACLS renewal, expires 2028-11-30." in shown
    assert "✓ Verified by Elaine Brennan" in shown
    assert buttons_in(update.body["blocks"]) == []
    [told] = posts_to(review_bot.slack, derek)
    assert told.body["text"] == ("Your ACLS renewal was verified by Elaine Brennan: your record "
                                 "now runs through 2028-11-30.")
    acls = {r.certification_code: r for r in training_store.records_for(
        next(s.staff_id for s in hospital.staff if s.display_name == "Derek Lindqvist"))}["ACLS"]
    assert acls.expires_on == RENEWED
    text = render_blocks((await review_bot.certs(derek, ""))["blocks"])
    assert "ACLS · expires 2028-11-30 · 735 days left · ✓ current" in text
    assert [e.action for e in training_store.audit_log()][-1] == "RENEWAL_VERIFIED"


async def test_a_staff_nurse_clicking_verify_is_refused_privately_and_nothing_changes(
    review_bot, training_store, hospital
):
    maya, elaine = person(hospital, "Maya Castillo"), person(hospital, "Elaine Brennan")
    await submit_dereks_acls(review_bot, hospital)
    message = review_dm(review_bot.slack, elaine)
    name = await review_bot.click(maya, message, ActionId.VERIFY_RENEWAL)
    [refusal] = review_bot.slack.wait_for("response_url", 1, name=name)
    assert refusal.body["response_type"] == "ephemeral"
    assert refusal.body["replace_original"] is False
    assert refusal.body["text"] == ("Only an educator or Derek Lindqvist's unit manager may "
                                    "verify or reject this renewal")
    assert review_bot.slack.calls("chat.update") == []
    assert len(review_bot.slack.calls("chat.postMessage")) == 3  # the three review DMs only
    derek_id = next(s.staff_id for s in hospital.staff if s.display_name == "Derek Lindqvist")
    assert {r.certification_code: r for r in training_store.records_for(derek_id)}[
        "ACLS"].expires_on == date(2026, 10, 31)


async def test_a_second_verify_makes_no_second_decision_and_says_who_decided(
    review_bot, training_store, hospital
):
    elaine, denise = person(hospital, "Elaine Brennan"), person(hospital, "Denise Okafor")
    await submit_dereks_acls(review_bot, hospital)
    await review_bot.click(elaine, review_dm(review_bot.slack, elaine), ActionId.VERIFY_RENEWAL)
    review_bot.slack.wait_for("chat.update", 1)
    name = await review_bot.click(denise, review_dm(review_bot.slack, denise),
                                  ActionId.VERIFY_RENEWAL)
    [already] = review_bot.slack.wait_for("response_url", 1, name=name)
    assert already.body["text"] == ("Derek Lindqvist's ACLS renewal was already verified by "
                                    "Elaine Brennan")
    assert len(review_bot.slack.calls("chat.update")) == 1
    assert [e.action for e in training_store.audit_log()].count("RENEWAL_VERIFIED") == 1
    assert len(posts_to(review_bot.slack, person(hospital, "Derek Lindqvist"))) == 1


async def test_reject_asks_a_reason_in_a_modal_and_derek_is_told_the_reason(
    review_bot, training_store, hospital
):
    derek, denise = person(hospital, "Derek Lindqvist"), person(hospital, "Denise Okafor")
    await submit_dereks_acls(review_bot, hospital)
    message = review_dm(review_bot.slack, denise)
    await review_bot.click(denise, message, ActionId.REJECT_RENEWAL)
    [opened] = review_bot.slack.wait_for("views.open", 1)
    view = opened.body["view"]
    view = {**(json.loads(view) if isinstance(view, str) else view), "id": "V0RENEW01"}
    assert view["callback_id"] == CallbackId.REJECT_RENEWAL
    assert render_blocks(view["blocks"]) == "Reason (sent to the nurse): <input>"

    status, body = await review_bot.submit_reason(denise, view, "the card photo is cut off")
    assert (status, body) == (200, "")
    [update] = review_bot.slack.wait_for("chat.update", 1)
    assert (update.body["channel"], update.body["ts"]) == (message["channel"], message["ts"])
    assert "✗ Rejected by Denise Okafor: the card photo is cut off" in render_blocks(
        update.body["blocks"])
    [told] = posts_to(review_bot.slack, derek)
    assert told.body["text"].startswith("Your ACLS renewal was rejected by Denise Okafor. "
                                        "Reason: the card photo is cut off\n")
    derek_id = next(s.staff_id for s in hospital.staff if s.display_name == "Derek Lindqvist")
    assert {r.certification_code: r for r in training_store.records_for(derek_id)}[
        "ACLS"].expires_on == date(2026, 10, 31)


async def test_a_reject_modal_without_a_reason_or_from_a_nurse_shows_why_on_the_field(
    review_bot, hospital
):
    maya, denise = person(hospital, "Maya Castillo"), person(hospital, "Denise Okafor")
    await submit_dereks_acls(review_bot, hospital)
    message = review_dm(review_bot.slack, denise)
    await review_bot.click(denise, message, ActionId.REJECT_RENEWAL)
    [opened] = review_bot.slack.wait_for("views.open", 1)
    view = opened.body["view"]
    view = {**(json.loads(view) if isinstance(view, str) else view), "id": "V0RENEW02"}
    status, body = await review_bot.submit_reason(denise, view, "   ")
    assert status == 200
    assert json.loads(body) == {"response_action": "errors", "errors": {
        BlockId.RENEWAL_REJECT_REASON: "reason: required when rejecting"}}
    status, body = await review_bot.submit_reason(maya, view, "no")
    assert json.loads(body)["errors"][BlockId.RENEWAL_REJECT_REASON].startswith(
        "Only an educator or Derek Lindqvist's unit manager")
    assert review_bot.slack.calls("chat.update") == []


def uploaded_csv(slack: SlackStandIn) -> list[list[str]]:
    [upload] = slack.wait_for(UPLOAD_METHOD, 1)
    return list(csv.reader(io.StringIO(upload.body["content"])))


async def test_the_pediatrics_manager_gets_the_export_by_dm_row_by_row(
    review_bot, hospital
):
    monica = person(hospital, "Monica Alvarado")
    reply = await review_bot.certs(monica, "PEDS export")
    assert reply["text"] == ("Sent you PEDS-certifications-2026-11-26.csv by DM: 17 required "
                             "certifications of 7 staff.")
    [url] = review_bot.slack.calls("files.getUploadURLExternal")
    assert url.body["filename"] == "PEDS-certifications-2026-11-26.csv"
    [complete] = review_bot.slack.calls("files.completeUploadExternal")
    assert complete.body["channel_id"] == dm_channel(review_bot.slack, monica)
    rows = uploaded_csv(review_bot.slack)
    assert rows[0] == ["person", "role", "certification", "expires", "status", "days left"]
    for expected, got in zip(EXPECTED_PEDS, rows[1:], strict=True):
        assert got == expected.split(",")


# The demo's pediatrics unit on 2026-11-26: RNs need BLS, the California licence and PALS, CNAs
# BLS; expiring = inside the type's earliest reminder (90 days), days left counted to the expiry.
EXPECTED_PEDS = [
    "Isabel Ramos,CNA,BLS,2028-07-31,current,613",
    "Kalani Akana,RN,BLS,2027-11-30,current,369",
    "Kalani Akana,RN,RN-CA,2027-01-31,expiring,66",
    "Kalani Akana,RN,PALS,2027-08-31,current,278",
    "Kevin Doan,CNA,BLS,2028-04-30,current,521",
    "Monica Alvarado,RN,BLS,2028-02-29,current,460",
    "Monica Alvarado,RN,RN-CA,2027-09-30,current,308",
    "Monica Alvarado,RN,PALS,2027-05-31,current,186",
    "Rebecca Stein,RN,BLS,2027-01-31,expiring,66",
    "Rebecca Stein,RN,RN-CA,2027-02-28,current,94",
    "Rebecca Stein,RN,PALS,2028-06-30,current,582",
    "Sunita Sharma,RN,BLS,2027-03-31,current,125",
    "Sunita Sharma,RN,RN-CA,2027-12-31,current,400",
    "Sunita Sharma,RN,PALS,2026-10-31,expired,-26",
    "Tyrone Jackson,RN,BLS,2027-05-31,current,186",
    "Tyrone Jackson,RN,RN-CA,2027-09-30,current,308",
    "Tyrone Jackson,RN,PALS,2027-12-31,current,400",
]


async def test_a_staff_nurse_asking_for_the_export_is_refused_and_nothing_is_uploaded(
    review_bot, training_store, hospital
):
    reply = await review_bot.certs(person(hospital, "Maya Castillo"), "ICU export")
    assert reply["text"] == ("Only ICU's managers and the educators may export its "
                             "certification compliance")
    assert review_bot.slack.calls("files.getUploadURLExternal") == []
    assert review_bot.slack.calls(UPLOAD_METHOD) == []
    # Refused by training's authorisation table before the use case, and audited there.
    [audit] = [e for e in training_store.audit_log() if e.action == "ExportUnitCompliance"]
    assert audit.outcome.startswith("REFUSED: only ICU's managers and the educators")


async def test_the_educator_may_export_any_unit_and_an_unknown_unit_is_named(
    review_bot, hospital
):
    elaine = person(hospital, "Elaine Brennan")
    reply = await review_bot.certs(elaine, "ICU export")
    assert reply["text"].startswith("Sent you ICU-certifications-2026-11-26.csv by DM")
    rows = uploaded_csv(review_bot.slack)
    assert ["Derek Lindqvist", "RN", "ACLS", "2026-10-31", "expired", "-26"] in rows
    reply = await review_bot.certs(elaine, "NOWHERE export")
    assert reply["text"] == "No unit called NOWHERE in the training roster."
