"""An event counts as delivered only when its service records the post: the relay publishes
again what stays unrecorded past its lease, and the notifier asks the service before posting, so
an event is posted once even when Redis lost its records of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import grpc
import pytest
import redis
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients import StaffingClient, TrainingClient
from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from bot.notifier.recording import ServiceRecorder
from clinops.authz import service_metadata
from clinops.clock import fixed_clock
from clinops.outbox import (
    DEFAULT_LEASE_SECONDS,
    InProcessStream,
    RedisPublisher,
    RelaySettings,
    find_delivery,
    pending_events,
    record_delivery,
)
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from clinops.training.v1 import training_pb2_grpc
from services.staffing.outbox import OUTBOX, posted_event_id, relay
from services.staffing.server import create_server
from services.staffing.store import StaffingStore
from services.training.outbox import OUTBOX as TRAINING_OUTBOX
from services.training.outbox import relay as training_relay
from services.training.seed import seed_demo as seed_training
from services.training.server import create_server as create_training_server
from services.training.store import TrainingStore
from services.training.store import migrate as training_migrate
from tests.events.conftest import NOW, REDIS_URL
from tests.events.test_open_shift_events import report_icu_night, staff
from tests.events.test_training_events import submit_dereks_acls

LEASE = timedelta(seconds=DEFAULT_LEASE_SECONDS)
SECOND = timedelta(seconds=1)


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_an_event_never_recorded_delivered_is_published_again_each_time_its_lease_runs_out(
        staffing_store: StaffingStore, hospital) -> None:  # noqa: ANN001
    report_icu_night(staffing_store, hospital)
    clock, stream = MovableClock(NOW), InProcessStream()
    relaying = relay(staffing_store.engine, publisher=stream, clock=clock)
    assert relaying.publish_pending() == 1
    clock.now = NOW + LEASE - SECOND
    assert relaying.publish_pending() == 0
    clock.now = NOW + LEASE + SECOND
    assert relaying.publish_pending() == 1
    # The second lease is twice the first: a notifier down for hours is not flooded.
    clock.now += 2 * LEASE - SECOND
    assert relaying.publish_pending() == 0
    clock.now += 2 * SECOND
    assert relaying.publish_pending() == 1
    copies = [event for _, event in stream.take(10)]
    assert [e.event_id for e in copies] == [copies[0].event_id] * 3
    assert [e.republished for e in copies] == [False, True, True]


def test_an_event_recorded_delivered_is_never_published_again(
        staffing_store: StaffingStore, hospital) -> None:  # noqa: ANN001
    shift = report_icu_night(staffing_store, hospital)
    clock, stream = MovableClock(NOW), InProcessStream()
    relaying = relay(staffing_store.engine, publisher=stream, clock=clock)
    assert relaying.publish_pending() == 1
    event_id = posted_event_id(shift.open_shift_id)
    record_delivery(staffing_store.engine, OUTBOX, event_id=event_id,
                    slack_channel_id="C0ICU0001", slack_message_ts="1700000000.000200", at=NOW)
    clock.now = NOW + 100 * LEASE
    assert relaying.publish_pending() == 0
    assert pending_events(staffing_store.engine, OUTBOX, now=clock.now) == []


def test_the_lease_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINOPS_OUTBOX_LEASE_SECONDS", "30")
    assert RelaySettings().lease_seconds == 30
    monkeypatch.setenv("CLINOPS_OUTBOX_LEASE_SECONDS", "0")
    with pytest.raises(ValueError, match="CLINOPS_OUTBOX_LEASE_SECONDS"):
        RelaySettings()


@pytest.fixture
async def staffing_client(staffing_store: StaffingStore) -> AsyncIterator[StaffingClient]:
    server, port = create_server(store=staffing_store, clock=fixed_clock(NOW))
    server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield StaffingClient(staffing_pb2_grpc.StaffingServiceStub(channel), deadline_seconds=5.0)
    await channel.close()
    server.stop(grace=None)


async def test_the_first_delivery_recorded_stands_and_bad_input_is_refused_naming_the_field(
        staffing_store: StaffingStore, staffing_client: StaffingClient, hospital) -> None:  # noqa: ANN001
    shift = report_icu_night(staffing_store, hospital)
    event_id = posted_event_id(shift.open_shift_id)
    stub = staffing_client.stub
    # The notifier records deliveries as itself: the scheduler credential (clinops.authz).
    NOTIFIER = service_metadata()  # noqa: N806
    record = staffing_pb2.RecordEventDeliveryRequest

    first = await stub.RecordEventDelivery(record(
        event_id=event_id, slack_channel_id="C0ICU0001", slack_message_ts="1.1"), timeout=5,
        metadata=NOTIFIER)
    again = await stub.RecordEventDelivery(record(
        event_id=event_id, slack_channel_id="C0ICU0001", slack_message_ts="2.2"), timeout=5,
        metadata=NOTIFIER)
    assert first.delivery == again.delivery
    assert (again.delivery.delivered, again.delivery.slack_message_ts) == (True, "1.1")
    looked = await stub.GetEventDelivery(
        staffing_pb2.GetEventDeliveryRequest(event_id=event_id), timeout=5,
        metadata=NOTIFIER)
    assert looked.delivery == first.delivery
    never = await stub.GetEventDelivery(
        staffing_pb2.GetEventDeliveryRequest(event_id="f" * 32), timeout=5,
        metadata=NOTIFIER)
    assert not never.delivery.delivered

    for bad, field in ((record(event_id=""), "event_id"),
                       (record(event_id="x" * 37), "event_id"),
                       (record(event_id=event_id, slack_channel_id="C0ICU0001"),
                        "slack_message_ts")):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.RecordEventDelivery(bad, timeout=5,
        metadata=NOTIFIER)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in refused.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await stub.RecordEventDelivery(record(event_id="f" * 32), timeout=5,
        metadata=NOTIFIER)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def notifier(event_stream, slack, staffing: StaffingClient, **kwargs) -> Notifier:  # noqa: ANN001, ANN003
    client = AsyncWebClient(token="xoxb-events", base_url=slack.base_url)
    return Notifier(stream=event_stream, client=client, consumer="bot-1", pacer=ChannelPacer(0),
                    recorder=ServiceRecorder(staffing=staffing, supplies=None, slack=client),
                    **kwargs)


def forget_posted(key_prefix: str) -> None:
    """What Redis restarted empty leaves of the notifier's posted records: nothing."""
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{key_prefix}posted:*"))
    assert keys, "the notifier kept a posted record"
    client.delete(*keys)
    client.close()


def shift_posts(slack) -> list:  # noqa: ANN001
    return [c for c in slack.calls("chat.postMessage")
            if c.answer.get("ok") and not c.body.get("thread_ts")]


async def test_an_event_published_twice_is_posted_once_when_redis_forgot_it_was_posted(
        staffing_store: StaffingStore, staffing_client: StaffingClient, hospital, slack,  # noqa: ANN001
        event_stream, stream_name: str, key_prefix: str) -> None:  # noqa: ANN001
    report_icu_night(staffing_store, hospital)
    publisher = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    [event] = pending_events(staffing_store.engine, OUTBOX)
    relay(staffing_store.engine, publisher=publisher, clock=fixed_clock(NOW)).publish_pending()
    bot = notifier(event_stream, slack, staffing_client)
    assert await bot.run_once() == 1
    assert find_delivery(staffing_store.engine, OUTBOX, event.event_id).delivered
    forget_posted(key_prefix)
    # The same event again (the relay died between XADD and marking it published).
    publisher.publish(event)
    assert await bot.run_once() == 1
    assert len(shift_posts(slack)) == 1
    # Staffing's record decided: Slack's history was not searched.
    assert slack.calls("conversations.history") == []
    publisher.close()


async def test_an_award_finds_its_shifts_post_through_staffing_when_redis_forgot_it(
        staffing_store: StaffingStore, staffing_client: StaffingClient, hospital, slack,  # noqa: ANN001
        event_stream, stream_name: str, key_prefix: str) -> None:  # noqa: ANN001
    shift = report_icu_night(staffing_store, hospital)
    nurse = staff(hospital, "Aisha Rahman")
    # Awarded before the shift's post was recorded: the award names the post's event.
    staffing_store.award(shift.open_shift_id, nurse.staff_id, NOW)
    publisher = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    relay(staffing_store.engine, publisher=publisher, clock=fixed_clock(NOW)).publish_pending()
    publisher.close()
    bot = notifier(event_stream, slack, staffing_client, batch=1)
    assert await bot.run_once() == 1  # the shift's post
    forget_posted(key_prefix)
    assert await bot.run_once() == 1  # the award, in the thread of the post staffing recorded
    [post] = shift_posts(slack)
    [answer] = [c for c in slack.calls("chat.postMessage") if c.body.get("thread_ts")]
    assert answer.body["thread_ts"] == post.answer["ts"]
    assert answer.body["text"].startswith("Awarded to Aisha Rahman")


@pytest.fixture
async def training(database_url: str,
                   hospital) -> AsyncIterator[tuple[TrainingStore, TrainingClient]]:  # noqa: ANN001
    training_migrate(database_url)
    store = TrainingStore.open(database_url)
    seed_training(store, hospital)
    server, port = create_training_server(store=store, clock=fixed_clock(NOW))
    server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield store, TrainingClient(training_pb2_grpc.TrainingServiceStub(channel),
                                deadline_seconds=5.0)
    await channel.close()
    server.stop(grace=None)
    store.close()


async def test_a_dm_is_recorded_delivered_in_training_and_not_sent_again_when_redis_forgot_it(
        training, hospital, slack, event_stream, stream_name: str, key_prefix: str) -> None:  # noqa: ANN001
    store, client = training
    # Derek's ACLS renewal: each reviewer gets a DM with Verify and Reject (nothing to record
    # but the delivery itself).
    submit_dereks_acls(store, hospital)
    events = pending_events(store.engine, TRAINING_OUTBOX)
    assert events and {e.kind for e in events} == {"renewal.submitted"}
    publisher = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    training_relay(store.engine, publisher=publisher, clock=fixed_clock(NOW)).publish_pending()
    web = AsyncWebClient(token="xoxb-events", base_url=slack.base_url)
    bot = Notifier(stream=event_stream, client=web, consumer="bot-1", pacer=ChannelPacer(0),
                   recorder=ServiceRecorder(staffing=None, supplies=None, slack=web,
                                            training=client))
    assert await bot.run_once() == len(events)
    dms = {c.body["channel"]: c.answer["ts"] for c in slack.calls("chat.postMessage")}
    assert len(dms) == len(events)
    for event in events:
        found = find_delivery(store.engine, TRAINING_OUTBOX, event.event_id)
        assert found.delivered and dms[found.slack_channel_id] == found.slack_message_ts
    forget_posted(key_prefix)
    for event in events:
        publisher.publish(event)
    assert await bot.run_once() == len(events)
    assert len(slack.calls("chat.postMessage")) == len(events)
    publisher.close()
