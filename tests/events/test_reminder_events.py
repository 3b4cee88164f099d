"""Certification reminders travel as training's `reminder.due` events: the notifier DMs each one
as the scheduler used to, records it sent in training, and never DMs a reminder twice — not even
one queued again after its first event was dead-lettered although Slack had taken that DM."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, datetime, timedelta

import grpc
import pytest
from prometheus_client import REGISTRY
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients import TrainingClient
from bot.notifier.notifier import EVENT_METADATA_TYPE, Notifier
from bot.notifier.pacing import ChannelPacer
from bot.notifier.recording import ServiceRecorder
from clinops.outbox import RedisPublisher
from clinops.training.v1 import training_pb2_grpc
from services.training import reminders
from services.training.outbox import relay
from services.training.server import create_server
from services.training.store import TrainingStore, migrate
from tests.events.conftest import REDIS_URL
from tests.training.training_fixtures import NOW, populate

ON = date(2026, 6, 15)  # C1's BLS is 30 days from expiry; N2's ACLS lapsed 15 days ago
C1_KEY = "C1/BLS/2026-07-15/30"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def store(new_database: Callable[[str], str]) -> Iterator[TrainingStore]:
    url = new_database("training")
    migrate(url)
    opened = TrainingStore.open(url)
    populate(opened)
    yield opened
    opened.close()


@pytest.fixture
async def training(store: TrainingStore, clock: Clock) -> AsyncIterator[TrainingClient]:
    server, port = create_server(store=store, clock=clock)
    server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield TrainingClient(training_pb2_grpc.TrainingServiceStub(channel), deadline_seconds=2.0)
    await channel.close()
    server.stop(grace=None)


def queue_and_publish(store: TrainingStore, clock: Clock, stream_name: str, on: date = ON,
                      since: date | None = None) -> reminders.Queued:
    """The scheduler's daily scan, then training's relay publishing to the test's stream."""
    queued = reminders.queue_reminders(on=on, since=since, unit_ids=[], all_units=True,
                                       store=store, clock=clock)
    publisher = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    relay(store.engine, publisher=publisher, clock=clock).publish_pending()
    publisher.close()
    return queued


def notifier(event_stream, slack, training: TrainingClient | None, **kwargs) -> Notifier:  # noqa: ANN001, ANN003
    client = AsyncWebClient(token="xoxb-events", base_url=slack.base_url)
    return Notifier(stream=event_stream, client=client, consumer="bot-1", pacer=ChannelPacer(0),
                    recorder=ServiceRecorder(staffing=None, supplies=None, slack=client,
                                             training=training), **kwargs)


class TrainingStopsAnswering(ServiceRecorder):
    """Training answers whether an event was delivered, then stops answering: the DM's record
    never reaches it."""

    async def record(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        raise RuntimeError("training is not answering")


def reminder_dms(slack) -> list[dict]:  # noqa: ANN001
    return [c.body for c in slack.calls("chat.postMessage")
            if c.answer.get("ok") and c.body["text"].startswith("Your ")]


def sent(store: TrainingStore) -> set[str]:
    return {reminders.reminder_key(k) for k in store.reminders_recorded(sent_only=True)}


def reminders_sent_total() -> float:
    return REGISTRY.get_sample_value("clinops_reminders_sent_total") or 0.0


async def test_each_queued_reminder_is_dmed_with_its_key_and_recorded_sent_in_training(
    slack, event_stream, stream_name, store: TrainingStore, clock: Clock,  # noqa: ANN001
    training: TrainingClient,
) -> None:
    before = reminders_sent_total()
    assert queue_and_publish(store, clock, stream_name).queued == 2
    assert await notifier(event_stream, slack, training).run_once() == 2
    dms = {dm["channel"]: dm for dm in reminder_dms(slack)}
    assert set(dms) == {"DUC1", "DUN2"}
    assert dms["DUC1"]["text"].startswith(
        "Your BLS expires 2026-07-15 — 30 days left. Renew with `/certs renew BLS")
    assert dms["DUN2"]["text"].startswith("Your ACLS expired 2026-05-31 — 15 days ago.")
    assert dms["DUC1"]["blocks"][0]["text"]["text"] == dms["DUC1"]["text"]
    metadata = dms["DUC1"]["metadata"]
    assert metadata["event_type"] == EVENT_METADATA_TYPE
    assert metadata["event_payload"]["reminder"] == C1_KEY
    assert sent(store) == {C1_KEY, "N2/ACLS/2026-05-31/-15"}
    assert reminders_sent_total() == before + 2
    # The next morning's scan has nothing to queue again: both are sent.
    clock.now = NOW + timedelta(days=1)
    again = queue_and_publish(store, clock, stream_name, on=ON + timedelta(days=1), since=ON)
    assert (again.queued, again.requeued) == (0, 0)


async def test_a_dead_lettered_reminder_already_in_the_dm_is_queued_again_but_not_sent_twice(
    slack, event_stream, stream_name, store: TrainingStore, clock: Clock,  # noqa: ANN001
    training: TrainingClient,
) -> None:
    queue_and_publish(store, clock, stream_name)
    # Slack takes the DMs, but training never hears (it stops answering after the notifier's
    # look-up): one attempt only, so both events go to the dead-letter stream with the
    # reminders still unsent.
    first = notifier(event_stream, slack, training, max_attempts=1)
    first.recorder = TrainingStopsAnswering(staffing=None, supplies=None, slack=first.client,
                                            training=training)
    assert await first.run_once() == 2
    assert first.dead_lettered == 2 and sent(store) == set()
    assert len(reminder_dms(slack)) == 2

    # The next morning: queued again under new event ids; the notifier looks in each DM since
    # the first queueing, finds the DM by its reminder key, records it sent and posts nothing.
    clock.now = NOW + timedelta(days=1)
    again = queue_and_publish(store, clock, stream_name, on=ON + timedelta(days=1), since=ON)
    assert again.requeued == 2
    assert await notifier(event_stream, slack, training).run_once() == 2
    assert len(reminder_dms(slack)) == 2  # still one DM per reminder
    assert len(slack.calls("conversations.history")) == 2
    assert sent(store) == {C1_KEY, "N2/ACLS/2026-05-31/-15"}


async def test_a_reminder_slack_refused_until_dead_lettered_is_sent_once_the_next_morning(
    slack, event_stream, stream_name, store: TrainingStore, clock: Clock,  # noqa: ANN001
    training: TrainingClient,
) -> None:
    queue_and_publish(store, clock, stream_name)
    slack.fail_next("chat.postMessage", 2, status=500)
    first = notifier(event_stream, slack, training, max_attempts=1)
    await first.run_once()
    assert first.dead_lettered == 2 and reminder_dms(slack) == []
    clock.now = NOW + timedelta(days=1)
    assert queue_and_publish(store, clock, stream_name, on=ON + timedelta(days=1),
                             since=ON).requeued == 2
    assert await notifier(event_stream, slack, training).run_once() == 2
    dms = {dm["channel"]: dm["text"] for dm in reminder_dms(slack)}
    assert dms["DUC1"].startswith("Your BLS expires 2026-07-15 — 29 days left.")  # today's count
    assert len(dms) == 2 and sent(store) == {C1_KEY, "N2/ACLS/2026-05-31/-15"}
