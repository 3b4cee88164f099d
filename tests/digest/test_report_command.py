"""`/clinops report <unit>` through the real Bolt app over HTTP, against the demo hospital's
services and the Slack stand-in: the digest as an ephemeral reply, the charts in the caller's DM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import uvicorn

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.dedupe import InProcessDedupe
from bot.server import http_app
from clinops.console import (
    DemoServices,
    SlackUser,
    signed_headers,
    slack_user_of,
    slash_command_body,
)
from clinops.slack_standin import SlackStandIn
from tests.digest.digest_fixtures import PNG_SIGNATURE, shared_uploads, uploaded_bytes

SIGNING_SECRET = "digest-signing-secret"


@dataclass
class ServedBot:
    url: str
    slack: SlackStandIn
    session: aiohttp.ClientSession
    sequence: int = 0
    # The body of the last command's HTTP answer: the ack Slack shows at once.
    acked: str = ""

    async def clinops(self, user: SlackUser, text: str) -> dict:
        """A signed `/clinops` command; returns the reply posted at its response_url."""
        self.sequence += 1
        name = f"cmd-{self.sequence}"
        body = slash_command_body(user=user, command="/clinops", text=text,
                                  response_url=self.slack.response_url(name))
        headers = signed_headers(body, SIGNING_SECRET, int(time.time()))
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            assert response.status == 200
            self.acked = await response.text()
        [reply] = await asyncio.to_thread(self.slack.wait_for, "response_url", 1, timeout=10,
                                          name=name)
        return reply.body


@pytest.fixture
async def bot(services: DemoServices, slack: SlackStandIn) -> AsyncIterator[ServedBot]:
    async with serve_bot(services, slack, supplies_port=services.supplies_port) as served:
        yield served


@pytest.fixture
async def bot_without_supplies(services: DemoServices, slack: SlackStandIn
                               ) -> AsyncIterator[ServedBot]:
    # Nothing listens on port 1: supplies does not answer.
    async with serve_bot(services, slack, supplies_port=1) as served:
        yield served


@contextlib.asynccontextmanager
async def serve_bot(services: DemoServices, slack: SlackStandIn, *,
                    supplies_port: int) -> AsyncIterator[ServedBot]:
    settings = BotSettings(
        bot_token="xoxb-digest", signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
        staffing_target=f"127.0.0.1:{services.staffing_port}",
        supplies_target=f"127.0.0.1:{supplies_port}",
        training_target=f"127.0.0.1:{services.training_port}", rpc_deadline_seconds=5.0)
    clients = ServiceClients.from_settings(settings)
    app = create_app(settings, clients, dedupe=InProcessDedupe())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(http_app(app), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.01)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        yield ServedBot(f"http://127.0.0.1:{port}/slack/events", slack, session)
    server.should_exit = True
    async with asyncio.timeout(10):
        await serving
    sock.close()
    await clients.close()


@pytest.fixture
def charge_nurse(hospital) -> SlackUser:  # noqa: ANN001
    """Maya Castillo, ICU day charge nurse."""
    return slack_user_of(hospital.featured_users()[0])


async def test_report_answers_with_the_digest_and_sends_the_charts_to_the_callers_dm(
        bot: ServedBot, slack: SlackStandIn, charge_nurse: SlackUser) -> None:
    reply = await bot.clinops(charge_nurse, "report icu")
    # Slack gets its answer at once; the digest follows at the response_url.
    assert json.loads(bot.acked) == {"response_type": "ephemeral",
                                     "text": "Building the weekly report for ICU…"}
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("*ICU weekly digest* (7 days to 2026-11-26)")
    assert "fully compliant" in reply["text"]
    # No proposal on the ICU yet: the budget still comes from supplies.
    assert "$0 approved in November 2026, 0% of the $40,000 budget." in reply["text"]
    assert "The 3 charts are in your DM with ClinOps." in reply["text"]
    [dm] = slack.calls("conversations.open")
    assert dm.body["users"] == charge_nurse.user_id
    [share] = shared_uploads(slack)
    assert share["channel"] == dm.answer["channel"]["id"]
    assert share["text"] == reply["text"].split("\n_The 3 charts")[0]
    charts = uploaded_bytes(slack)
    assert len(charts) == 3 and all(c.startswith(PNG_SIGNATURE) for c in charts)


async def test_report_of_an_unknown_unit_gets_the_usage_and_uploads_nothing(
        bot: ServedBot, slack: SlackStandIn, charge_nurse: SlackUser) -> None:
    reply = await bot.clinops(charge_nurse, "report NOWHERE")
    assert reply["response_type"] == "ephemeral"
    assert "No unit `NOWHERE`." in reply["text"]
    assert "`/clinops report &lt;unit&gt;` — the unit's weekly digest" in reply["text"]
    assert slack.calls("files.completeUploadExternal") == []


async def test_report_without_a_unit_says_which_is_missing(
        bot: ServedBot, slack: SlackStandIn, charge_nurse: SlackUser) -> None:
    reply = await bot.clinops(charge_nurse, "report")
    # Escaped, so Slack shows <unit> instead of reading it as a link and showing nothing.
    assert "Say which unit: `/clinops report &lt;unit&gt;`." in reply["text"]
    assert "Building" not in bot.acked
    assert slack.calls("conversations.open") == []


async def test_a_report_whose_service_does_not_answer_says_so_after_the_ack(
        bot_without_supplies: ServedBot, slack: SlackStandIn, charge_nurse: SlackUser) -> None:
    reply = await bot_without_supplies.clinops(charge_nurse, "report ICU")
    assert json.loads(bot_without_supplies.acked)["text"] == "Building the weekly report for ICU…"
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Supplies is not answering — try again in a minute (ref ")
    assert slack.calls("files.completeUploadExternal") == []
