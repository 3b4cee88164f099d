"""Redis away while the morning's reminder scan runs: the reminders wait in training's outbox and
arrive, once each, after Redis is back.

Real training over gRPC with its relay thread, a private Redis stopped and started again, the
scheduler's own scan function, the notifier reading the stream and recording each DM sent in
training, and the Slack stand-in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients import ServiceClients
from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from bot.notifier.recording import ServiceRecorder
from bot.notifier.stream import RedisEventStream
from bot.scheduler.links import TrainingLink
from bot.scheduler.marks import Marks
from bot.scheduler.scans import queue_certification_reminders
from clinops.clock import fixed_clock
from clinops.outbox import RedisPublisher, pending_events
from clinops.slack_standin import SlackStandIn
from services.training import outbox as training_outbox
from services.training.reminders import reminder_key
from services.training.server import create_server
from services.training.store import TrainingStore, migrate
from tests.faults.fault_fixtures import wait_until
from tests.faults.test_redis_down import private_redis
from tests.training.training_fixtures import NOW, TODAY, populate

# C1's BLS is 30 days from expiry and N2's ACLS lapsed 15 days ago, on TODAY.
DUE = {"C1/BLS/2026-07-15/30", "N2/ACLS/2026-05-31/-15"}


@pytest.fixture
def training_store(tmp_path: Path) -> Iterator[TrainingStore]:
    url = f"sqlite:///{tmp_path / 'training.db'}"
    migrate(url)
    store = TrainingStore.open(url)
    populate(store)
    yield store
    store.close()


def reminder_dms(slack: SlackStandIn) -> list[str]:
    return [c.body["channel"] for c in slack.calls("chat.postMessage")
            if c.answer.get("ok") and c.body.get("text", "").startswith("Your ")]


async def test_reminders_queued_while_redis_is_down_arrive_once_each_after_it_returns(
    tmp_path: Path, training_store: TrainingStore,
) -> None:
    clock = fixed_clock(NOW)
    server, port = create_server(store=training_store, clock=clock)
    server.start()
    marks = Marks.open(f"sqlite:///{tmp_path / 'scheduler.db'}")
    with private_redis() as private, SlackStandIn(team_id="T0001") as slack:
        relay = training_outbox.relay(training_store.engine, clock=clock, poll_seconds=0.1,
                                      publisher=RedisPublisher.from_url(private.url)).start()
        stream = RedisEventStream.from_url(private.url)
        web = AsyncWebClient(token="xoxb-faults", base_url=slack.base_url)
        clients = ServiceClients.connect(staffing_target="127.0.0.1:1",
                                         supplies_target="127.0.0.1:1",
                                         training_target=f"127.0.0.1:{port}",
                                         deadline_seconds=2.0)
        notifier = Notifier(stream=stream, consumer="bot-1", pacer=ChannelPacer(0), client=web,
                            recorder=ServiceRecorder(staffing=None, supplies=None, slack=web,
                                                     training=clients.training))
        stop = asyncio.Event()
        announcing = asyncio.create_task(notifier.run(stop, block_ms=50))
        try:
            private.stop()
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                report = await asyncio.to_thread(
                    queue_certification_reminders, on=TODAY, marks=marks,
                    training=TrainingLink(channel, deadline_seconds=2.0))
            assert report.queued == 2  # the scan does not need Redis: training keeps them
            await asyncio.sleep(0.5)
            assert reminder_dms(slack) == []
            assert len(pending_events(training_store.engine, training_outbox.OUTBOX)) == 2

            private.start()
            await asyncio.to_thread(wait_until, lambda: len(reminder_dms(slack)) == 2,
                                    seconds=10, what="the reminders DMed after Redis")
            await asyncio.to_thread(wait_until, lambda: {reminder_key(k) for k in (
                training_store.reminders_recorded(sent_only=True))} == DUE,
                                    seconds=5, what="the reminders recorded sent")
            await asyncio.sleep(0.5)  # a few more notifier and relay rounds: still one each
            assert sorted(reminder_dms(slack)) == ["DUC1", "DUN2"]
        finally:
            stop.set()
            async with asyncio.timeout(10):
                await announcing
            relay.stop()
            await stream.close()
            await clients.close()
            marks.close()
            server.stop(None)
