"""The whole stack in one process for observability and App Home tests: the three services on
ports the OS chose (demo hospital), the real Bolt app with signature checks, the Slack stand-in.

Requests go through `app.async_dispatch` with correctly signed headers, as the console does.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.dedupe import InProcessDedupe
from clinops.clock import fixed_clock
from clinops.console import (
    SlackUser,
    role_label,
    signed_headers,
    slack_user_of,
    slash_command_body,
    start_services,
)
from clinops.demo.hospital import build_hospital
from clinops.logs import JsonFormatter
from clinops.slack_standin import SlackStandIn

# Values no log line may ever carry.
BOT_TOKEN = "xoxb-0bservab1lity-t0ken-never-logged"
SIGNING_SECRET = "signing-secret-never-logged-4f2a"
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)  # 10:30 in San Francisco, the day shift
TODAY = date(2026, 11, 26)


@dataclass
class Stack:
    app: Any
    slack: SlackStandIn
    hospital: Any
    services: Any
    clients: ServiceClients
    sequence: int = 0
    log_lines: list[dict] = field(default_factory=list)

    async def command(self, user: SlackUser, command: str, text: str) -> Any:
        """A signed slash command; returns Bolt's response."""
        self.sequence += 1
        body = slash_command_body(user=user, command=command, text=text,
                                  response_url=self.slack.response_url(f"cmd-{self.sequence}"))
        return await self._dispatch(body, "application/x-www-form-urlencoded")

    async def open_home(self, user: SlackUser) -> dict:
        """The user opens the Home tab; returns the view the bot published for them."""
        marker = self.slack.call_count()
        body = json.dumps({
            "token": "verification", "team_id": user.team_id, "api_app_id": "A0CLINOPS",
            "type": "event_callback", "event_id": f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": user.user_id, "tab": "home",
                      "channel": f"D{user.user_id}", "event_ts": f"{time.time():.6f}"},
        })
        await self._dispatch(body, "application/json")
        published = [call for call in self.slack.calls_since(marker)
                     if call.method == "views.publish"]
        assert len(published) == 1, [call.method for call in self.slack.calls_since(marker)]
        assert published[0].body["user_id"] == user.user_id
        view = published[0].body["view"]
        return json.loads(view) if isinstance(view, str) else view

    async def _dispatch(self, body: str, content_type: str) -> Any:
        headers = {**signed_headers(body, SIGNING_SECRET, int(time.time())),
                   "content-type": content_type}
        return await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))

    def user(self, role_word: str) -> SlackUser:
        """A featured demo user whose role label contains `role_word` (e.g. 'manager')."""
        for staff in self.hospital.featured_users():
            if role_word in role_label(staff):
                return slack_user_of(staff)
        raise LookupError(role_word)


def view_text(view: dict) -> str:
    """Every text of a published view, one block per line (for assertions a person would make)."""
    lines = []
    for block in view.get("blocks", []):
        text = block.get("text")
        if isinstance(text, dict):
            lines.append(text.get("text", ""))
        for element in block.get("elements", []):
            if isinstance(element, dict) and "text" in element:
                lines.append(str(element["text"]))
    return "\n".join(lines)


@pytest.fixture
def hospital():
    return build_hospital(TODAY)


@pytest.fixture
def services(tmp_path: Path, hospital) -> Iterator[Any]:
    running = start_services(data_dir=tmp_path / "data", hospital=hospital,
                             clock=fixed_clock(NOW))
    try:
        yield running
    finally:
        running.stop()


def make_settings(slack: SlackStandIn, *, staffing: int, supplies: int, training: int
                  ) -> BotSettings:
    return BotSettings(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
        staffing_target=f"127.0.0.1:{staffing}", supplies_target=f"127.0.0.1:{supplies}",
        training_target=f"127.0.0.1:{training}", rpc_deadline_seconds=2.0)


@pytest.fixture
async def stack(services, hospital) -> AsyncIterator[Stack]:
    with SlackStandIn(team_id=hospital.team_id) as slack:
        settings = make_settings(slack, staffing=services.staffing_port,
                                 supplies=services.supplies_port,
                                 training=services.training_port)
        clients = ServiceClients.from_settings(settings)
        app = create_app(settings, clients, dedupe=InProcessDedupe())
        try:
            yield Stack(app, slack, hospital, services, clients)
        finally:
            await clients.close()


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log record of this process, as the JSON lines a deployment would write."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
