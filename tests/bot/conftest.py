"""Bot tests: the Bolt app in-process against a fake staffing servicer over real gRPC."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field

import grpc
import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from clinops.console import SlackUser, signed_headers, slash_command_body
from clinops.slack_standin import SlackStandIn
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc

SIGNING_SECRET = "bot-tests-signing-secret"
BOT_TOKEN = "xoxb-bot-tests-token"
NURSE = SlackUser(team_id="T0TEST", user_id="U0NURSE", user_name="nurse")


@dataclass
class FakeStaffing(staffing_pb2_grpc.StaffingServiceServicer):
    """Answers GetShiftGaps with whatever `answer` does; records metadata and deadlines."""

    answer: Callable[[staffing_pb2.GetShiftGapsRequest, grpc.ServicerContext], object] = (
        lambda request, context: staffing_pb2.GetShiftGapsResponse()
    )
    units: list[staffing_pb2.Unit] = field(default_factory=list)
    metadata: list[dict[str, str]] = field(default_factory=list)
    time_remaining: list[float] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def _note(self, context: grpc.ServicerContext) -> None:
        self.metadata.append(dict(context.invocation_metadata()))
        self.time_remaining.append(context.time_remaining())

    def GetShiftGaps(self, request, context):  # noqa: N802 - generated name
        self._note(context)
        return self.answer(request, context)

    def ListUnits(self, request, context):  # noqa: N802 - generated name
        self._note(context)
        return staffing_pb2.ListUnitsResponse(units=self.units)


@pytest.fixture
def fake_staffing() -> Iterator[tuple[FakeStaffing, int]]:
    fake = FakeStaffing()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    staffing_pb2_grpc.add_StaffingServiceServicer_to_server(fake, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield fake, port
    fake.release.set()
    server.stop(grace=None)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id=NURSE.team_id) as standin:
        yield standin


@dataclass
class BotUnderTest:
    app: object
    slack: SlackStandIn
    user: SlackUser = NURSE
    token: str = BOT_TOKEN
    signing_secret: str = SIGNING_SECRET
    acks: dict = field(default_factory=dict)

    async def command(self, command: str, text: str, *, user: SlackUser = NURSE,
                      response_name: str = "reply"):
        import time

        body = slash_command_body(user=user, command=command, text=text,
                                  response_url=self.slack.response_url(response_name))
        headers = signed_headers(body, SIGNING_SECRET, int(time.time()))
        response = await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        self.acks[response_name] = response
        return response

    def reply(self, response_name: str = "reply") -> dict:
        """What Slack shows for the command: the post at its response_url, else its ack's."""
        posts = [c for c in self.slack.calls("response_url") if c.name == response_name]
        acked = self.acks.get(response_name)
        if not posts and acked is not None and acked.body:
            return json.loads(acked.body)
        [call] = posts
        return call.body


@pytest.fixture
async def bot(fake_staffing, slack) -> AsyncIterator[BotUnderTest]:
    _, port = fake_staffing
    settings = BotSettings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url,
        staffing_target=f"127.0.0.1:{port}",
        supplies_target="127.0.0.1:1",
        training_target="127.0.0.1:1",
        rpc_deadline_seconds=0.5,
    )
    clients = ServiceClients.from_settings(settings)
    yield BotUnderTest(create_app(settings, clients), slack)
    await clients.close()
