"""End to end: real staffing gRPC server, the Bolt app served by uvicorn, the Slack stand-in."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import aiohttp
import pytest
import uvicorn

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.server import http_app
from clinops.clock import fixed_clock
from clinops.console import SlackUser, signed_headers, slack_user_of, slash_command_body
from clinops.demo.hospital import build_hospital
from clinops.slack_standin import SlackStandIn
from services.staffing import outbox as staffing_outbox
from services.staffing.seed import seed_demo
from services.staffing.server import create_server
from services.staffing.store import StaffingStore, migrate
from tests.conftest import Prepare, demo_database
from tests.e2e.outbox_delivery import Announcer

SIGNING_SECRET = "e2e-signing-secret"
# 10:30 in San Francisco: the day shift of the demo hospital's "today".
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
TODAY = date(2026, 11, 26)


@dataclass
class Staffing:
    server: object
    port: int
    # The store behind the server, for delivering its outbox (tests/e2e deliver_events).
    store: object = None

    def stop(self) -> None:
        self.server.stop(grace=None).wait(5)


@pytest.fixture
def hospital():
    return build_hospital(TODAY)


@pytest.fixture
def staffing(prepared_database: Prepare, hospital) -> Iterator[Staffing]:
    url = demo_database(prepared_database, "staffing", migrate, StaffingStore.open, seed_demo,
                        hospital)
    store = StaffingStore.open(url)
    server, port = create_server(store=store, clock=fixed_clock(NOW))
    server.start()
    yield Staffing(server, port)
    server.stop(grace=None)
    store.close()


@pytest.fixture
def slack(hospital) -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id=hospital.team_id) as standin:
        yield standin


@dataclass
class ServedBot:
    """The bot over real HTTP, and a record of every request that got past verification."""

    url: str
    slack: SlackStandIn
    session: aiohttp.ClientSession
    reached_listeners: list[dict] = field(default_factory=list)
    signing_secret: str = SIGNING_SECRET
    sequence: int = 0
    # Staffing's outbox → the notifier → the stand-in (open shifts' posts, awards, cancels).
    announcer: Announcer | None = None

    async def deliver(self) -> list:
        """Deliver what staffing's outbox holds; the Slack calls that made."""
        marker = self.slack.call_count()
        if self.announcer is not None:
            await self.announcer.deliver()
        return self.slack.calls_since(marker)

    async def post(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()

    def command_body(self, user: SlackUser, text: str, command: str = "/shift-gap") -> str:
        self.sequence += 1
        return slash_command_body(user=user, command=command, text=text,
                                  response_url=self.slack.response_url(f"cmd-{self.sequence}"))

    async def command(self, user: SlackUser, text: str) -> tuple[int, dict]:
        """A correctly signed slash command; returns the status and what Slack shows for it:
        the message in the ack, else the reply at response_url."""
        body = self.command_body(user, text)
        status, acked = await self.post(body, signed_headers(body, SIGNING_SECRET,
                                                             int(time.time())))
        if acked:
            return status, json.loads(acked)
        [reply] = self.slack.wait_for("response_url", 1, timeout=5, name=f"cmd-{self.sequence}")
        return status, reply.body


@pytest.fixture
async def served_bot(staffing: Staffing, slack: SlackStandIn) -> AsyncIterator[ServedBot]:
    settings = BotSettings(
        bot_token="xoxb-e2e",
        signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url,
        staffing_target=f"127.0.0.1:{staffing.port}",
        supplies_target="127.0.0.1:1",
        training_target="127.0.0.1:1",
        rpc_deadline_seconds=2.0,
    )
    clients = ServiceClients.from_settings(settings)
    app = create_app(settings, clients)
    reached: list[dict] = []

    @app.middleware  # runs after Bolt's signature check, just before the listeners
    async def note_request(body, next):  # noqa: A002
        reached.append(body)
        await next()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(http_app(app), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.01)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        announcer = None if staffing.store is None else Announcer(
            staffing.store.engine, staffing_outbox.relay, slack_url=slack.base_url, now=NOW,
            staffing=clients.staffing)
        yield ServedBot(f"http://127.0.0.1:{port}/slack/events", slack, session, reached,
                        announcer=announcer)
    server.should_exit = True
    async with asyncio.timeout(10):
        await serving
    sock.close()
    await clients.close()


@pytest.fixture
def charge_nurse(hospital) -> SlackUser:
    """Maya Castillo, ICU day charge nurse, home unit ICU."""
    return slack_user_of(hospital.featured_users()[0])
