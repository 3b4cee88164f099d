"""`/certs` end to end: signed requests into the real Bolt app, the real training service over
gRPC seeded with the demo hospital, and the replies recorded by the Slack stand-in."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import pytest
import uvicorn

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.server import http_app
from clinops.clock import fixed_clock
from clinops.console import SlackUser, render_blocks, signed_headers, slack_user_of
from clinops.console import slash_command_body as command_body
from clinops.slack_standin import SlackStandIn
from services.training.seed import seed_demo
from services.training.server import create_server
from services.training.store import TrainingStore, migrate
from tests.conftest import Prepare, demo_database

SIGNING_SECRET = "certs-e2e-signing-secret"
# 10:30 in San Francisco on the demo hospital's "today" (the `hospital` fixture's 2026-11-26).
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)


@pytest.fixture
def training_port(prepared_database: Prepare, hospital) -> Iterator[int]:
    url = demo_database(prepared_database, "training", migrate, TrainingStore.open, seed_demo,
                        hospital)
    store = TrainingStore.open(url)
    server, port = create_server(store=store, clock=fixed_clock(NOW))
    server.start()
    yield port
    server.stop(grace=None)
    store.close()


@dataclass
class CertsBot:
    url: str
    slack: SlackStandIn
    session: aiohttp.ClientSession
    sequence: int = 0

    async def certs(self, user: SlackUser, text: str) -> dict:
        """`/certs <text>` as `user`, correctly signed; the reply posted to its response_url."""
        self.sequence += 1
        name = f"certs-{self.sequence}"
        body = command_body(user=user, command="/certs", text=text,
                            response_url=self.slack.response_url(name))
        headers = signed_headers(body, SIGNING_SECRET, int(time.time()))
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            assert response.status == 200
        [reply] = self.slack.wait_for("response_url", 1, timeout=5, name=name)
        assert reply.body["response_type"] == "ephemeral"
        return reply.body


@pytest.fixture
async def certs_bot(training_port: int, slack: SlackStandIn) -> AsyncIterator[CertsBot]:
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
        yield CertsBot(url, slack, session)
    server.should_exit = True
    async with asyncio.timeout(10):
        await serving
    sock.close()
    await clients.close()


def person(hospital, name: str) -> SlackUser:
    return slack_user_of(next(s for s in hospital.staff if s.display_name == name))


def mention(hospital, name: str) -> str:
    user = person(hospital, name)
    return f"<@{user.user_id}|{name.split()[0].lower()}>"


def shown(reply: dict) -> str:
    return render_blocks(reply["blocks"])


async def test_derek_sees_his_expired_acls_flagged_with_days_left(certs_bot, hospital):
    text = shown(await certs_bot.certs(person(hospital, "Derek Lindqvist"), ""))
    assert text.startswith("My certifications\n")
    assert "ACLS · expires 2026-10-31 · expired 26 days ago · ✗ EXPIRED" in text
    assert "BLS · expires" in text and "days left · ✓ current" in text


async def test_the_icu_manager_sees_derek_by_mention(certs_bot, hospital):
    reply = await certs_bot.certs(person(hospital, "Denise Okafor"),
                                  mention(hospital, "Derek Lindqvist"))
    assert shown(reply).startswith("Derek Lindqvist's certifications\n")
    assert "✗ EXPIRED" in shown(reply)


async def test_a_colleague_asking_for_derek_is_told_who_may_see_them(certs_bot, hospital):
    reply = await certs_bot.certs(person(hospital, "Maya Castillo"),
                                  mention(hospital, "Derek Lindqvist"))
    assert reply["text"] == (
        "Only <@U0ICU012|derek>, their manager or an educator can see <@U0ICU012|derek>'s "
        "certifications.")
    assert "ACLS" not in reply["text"]


async def test_the_charge_nurse_sees_only_the_icu_aggregate(certs_bot, hospital):
    text = shown(await certs_bot.certs(person(hospital, "Maya Castillo"), "icu"))
    assert text.startswith("ICU certification compliance\n")
    assert "ACLS: 92% — 12 of 13 current" in text
    assert "Derek" not in text
    assert "Names are shown only to the unit's managers and the educators." in text


async def test_the_educator_sees_who_in_the_icu_lacks_what(certs_bot, hospital):
    text = shown(await certs_bot.certs(person(hospital, "Elaine Brennan"), "ICU"))
    assert "Who lacks what\nDerek Lindqvist — ACLS expired 2026-10-31" in text


async def test_an_unknown_unit_is_named(certs_bot, hospital):
    reply = await certs_bot.certs(person(hospital, "Maya Castillo"), "nowhere")
    assert reply["text"] == "No unit called NOWHERE in the training roster."


async def test_a_renewal_is_submitted_for_verification_and_shows_as_pending(certs_bot, hospital):
    derek = person(hospital, "Derek Lindqvist")
    reply = await certs_bot.certs(derek, "renew acls 2028-11-30")
    assert "ACLS renewal (expires 2028-11-30) is submitted for verification" in reply["text"]
    text = shown(await certs_bot.certs(derek, ""))
    assert "✗ EXPIRED · renewal awaiting verification" in text


async def test_a_renewal_the_service_refuses_gets_the_reason_and_the_usage(certs_bot, hospital):
    reply = await certs_bot.certs(person(hospital, "Derek Lindqvist"), "renew ACLS 2020-01-31")
    assert reply["text"].startswith("expires_on: 2020-01-31 is already past\n*Usage:*")
    reply = await certs_bot.certs(person(hospital, "Derek Lindqvist"), "renew XYZ 2027-01-31")
    assert "certification_code: unknown; one of" in reply["text"]


async def test_someone_not_on_the_roster_is_told_so(certs_bot, hospital):
    stranger = SlackUser(team_id=hospital.team_id, user_id="U0STRANGER", user_name="visitor")
    reply = await certs_bot.certs(stranger, "")
    assert reply["text"] == "You are not on the training roster; ask your unit manager"


async def test_help_and_bad_input_get_the_short_usage(certs_bot, hospital):
    maya = person(hospital, "Maya Castillo")
    assert "*Usage:* `/certs" in (await certs_bot.certs(maya, "help"))["text"]
    reply = await certs_bot.certs(maya, "ICU export now")
    assert reply["text"].startswith("I don't understand `export now` after `ICU`.")
