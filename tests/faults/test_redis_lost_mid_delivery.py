"""Redis killed and restarted empty mid-delivery: after the relay published the events, before
the notifier read them. Nothing is lost and nothing is posted twice.

A redis-server of the test's own (never the shared one) carries the stream; staffing serves over
real gRPC on the test's database (SQLite and PostgreSQL), its real outbox relay publishes on a
clock the test moves past the lease, and the real notifier posts to the Slack stand-in and
records each post back in staffing.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Callable, Iterator
from concurrent import futures
from datetime import datetime, timedelta
from pathlib import Path

import grpc
import redis
import sqlalchemy as sa
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients import StaffingClient
from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from bot.notifier.recording import ServiceRecorder
from bot.notifier.stream import RedisEventStream
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.demo.hospital import build_hospital
from clinops.outbox import DEFAULT_LEASE_SECONDS, STREAM, OutboxRelay, RedisPublisher
from clinops.rpc import Caller
from clinops.slack_standin import RecordedCall, SlackStandIn
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.staffing import outbox as staffing_outbox
from services.staffing import server as staffing_server
from services.staffing import store as staffing_store
from services.staffing.seed import seed_demo
from tests.events.conftest import NOW, TODAY
from tests.faults.fault_fixtures import PrivateRedis, wait_until

PAST_THE_LEASE = timedelta(seconds=DEFAULT_LEASE_SECONDS + 1)
# (unit, reporter, shift): four open shifts, tomorrow, on two units.
GAPS = [("ICU", "Maya Castillo", common_pb2.SHIFT_DAY),
        ("ICU", "Maya Castillo", common_pb2.SHIFT_NIGHT),
        ("4W", "Gloria Mendoza", common_pb2.SHIFT_DAY),
        ("4W", "Gloria Mendoza", common_pb2.SHIFT_NIGHT)]


class MovableClock:
    """The relay's clock: the test moves it past the lease instead of waiting two minutes."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class EveryoneCurrent(training_pb2_grpc.TrainingServiceServicer):
    def CheckEligibility(self, request, context):  # noqa: ANN001, ANN201, N802
        return training_pb2.CheckEligibilityResponse(eligible=True)


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    with tempfile.TemporaryDirectory(prefix="clinops-faults-redis-") as workdir:
        server = PrivateRedis(Path(workdir))
        server.start()
        try:
            yield server
        finally:
            server.stop()


@contextlib.contextmanager
def staffing(database_url: str, hospital) -> Iterator[tuple[str, staffing_store.StaffingStore]]:  # noqa: ANN001
    """Staffing over gRPC on port 0 (training stood in by a real gRPC server: all current)."""
    training = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    training_pb2_grpc.add_TrainingServiceServicer_to_server(EveryoneCurrent(), training)
    training_port = training.add_insecure_port("127.0.0.1:0")
    training.start()
    staffing_store.migrate(database_url)
    store = staffing_store.StaffingStore.open(database_url)
    seed_demo(store, hospital)
    server, port = staffing_server.create_server(
        store=store, clock=fixed_clock(NOW), training_target=f"127.0.0.1:{training_port}")
    server.start()
    try:
        yield f"127.0.0.1:{port}", store
    finally:
        server.stop(grace=None)
        training.stop(grace=None)
        store.close()


class Ward:
    """Everything one test drives: staffing, its relay, the notifier and the Slack stand-in."""

    def __init__(self, *, store: staffing_store.StaffingStore, client: StaffingClient,
                 slack: SlackStandIn, redis_server: PrivateRedis, hospital) -> None:  # noqa: ANN001
        self.store, self.client, self.slack, self.redis_server = (
            store, client, slack, redis_server)
        self.hospital = hospital
        self.clock = MovableClock(NOW)
        self.relay: OutboxRelay = staffing_outbox.relay(
            store.engine, publisher=RedisPublisher.from_url(redis_server.url), clock=self.clock,
            poll_seconds=0.05)
        self.web = AsyncWebClient(token="xoxb-faults", base_url=slack.base_url)
        self.streams: list[RedisEventStream] = []

    def notifier(self, consumer: str, stream_type: type[RedisEventStream] = RedisEventStream,
                 ) -> Notifier:
        stream = stream_type.from_url(self.redis_server.url)
        self.streams.append(stream)
        return Notifier(stream=stream, client=self.web, consumer=consumer,
                        pacer=ChannelPacer(0), max_attempts=50,
                        recorder=ServiceRecorder(staffing=self.client, supplies=None,
                                                 slack=self.web))

    async def report(self, unit: str, reporter: str, shift: int) -> str:
        person = next(s for s in self.hospital.staff if s.display_name == reporter)
        acting = self.client.acting_for(Caller(person.slack_team_id, person.slack_user_id))
        answer = await acting.call(acting.stub.ReportGap, staffing_pb2.ReportGapRequest(
            unit_id=unit, role=staffing_pb2.STAFF_ROLE_RN, slots=1,
            day=common_pb2.DaySpec(relative=common_pb2.RELATIVE_DAY_TOMORROW), shift=shift,
            reason="sick call"))
        return answer.open_shift.open_shift_id

    def outbox(self) -> list[sa.Row]:
        table = staffing_outbox.OUTBOX
        with self.store.engine.connect() as connection:
            return connection.execute(sa.select(table.c.event_id, table.c.published_at,
                                                 table.c.delivered_at)).all()

    def stream_length(self) -> int:
        with contextlib.closing(redis.Redis.from_url(self.redis_server.url)) as client:
            return client.xlen(STREAM)

    def shift_posts(self) -> list[RecordedCall]:
        return [c for c in self.slack.calls("chat.postMessage")
                if c.answer.get("ok") and c.body.get("text", "").startswith("Open shift")]

    def recorded_ts(self) -> dict[str, str]:
        with self.store.engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT open_shift_id, slack_message_ts FROM open_shifts")).all()
        return dict(rows)

    def wait_published(self, count: int) -> None:
        wait_until(lambda: len(self.outbox()) == count
                   and all(row.published_at for row in self.outbox()), seconds=10,
                   what=f"{count} events published by the relay")

    def lose_redis(self) -> None:
        """SIGKILL, then a fresh redis-server on the same port: no stream, no group, no keys."""
        self.redis_server.stop()
        self.redis_server.start()
        assert self.stream_length() == 0

    async def close(self) -> None:
        self.relay.stop()
        for stream in self.streams:
            await stream.close()


async def rounds_until(notifier: Notifier, check: Callable[[], bool], *, what: str,
                       seconds: float = 10.0) -> None:
    """Notifier rounds until `check` holds (a Redis just restarted may refuse the first)."""
    async with asyncio.timeout(seconds):
        while not check():
            with contextlib.suppress(redis.RedisError, OSError):
                await notifier.run_once(block_ms=20)
    assert check(), what


@contextlib.asynccontextmanager
async def ward(database_url: str):  # noqa: ANN201
    hospital = build_hospital(TODAY)
    with private_redis() as redis_server, staffing(database_url, hospital) as (target, store), \
            SlackStandIn(team_id=hospital.team_id) as slack:
        channel = grpc.aio.insecure_channel(target)
        client = StaffingClient(staffing_pb2_grpc.StaffingServiceStub(channel),
                                deadline_seconds=5.0)
        scene = Ward(store=store, client=client, slack=slack, redis_server=redis_server,
                     hospital=hospital)
        try:
            yield scene
        finally:
            await scene.close()
            await channel.close()


async def in_thread(call: Callable[[], object]) -> object:
    return await asyncio.to_thread(call)


async def test_four_shifts_reported_as_redis_loses_its_data_are_posted_once_each(
        database_url: str) -> None:
    async with ward(database_url) as scene:
        scene.relay.start()
        notifier = scene.notifier("bot-1")
        # The first shift goes all the way: posted and recorded in staffing.
        first = await scene.report(*GAPS[0])
        await in_thread(lambda: scene.wait_published(1))
        await rounds_until(notifier, lambda: scene.recorded_ts().get(first, "") != "",
                           what="the first shift's post recorded")
        # Three more: the relay publishes them; Redis dies before the notifier reads them.
        for gap in GAPS[1:]:
            await scene.report(*gap)
        await in_thread(lambda: scene.wait_published(4))
        assert scene.stream_length() == 4
        await in_thread(scene.lose_redis)

        # The notifier finds an empty stream (and makes its group again): nothing to post yet.
        for _ in range(3):
            with contextlib.suppress(redis.RedisError, OSError):
                await notifier.run_once(block_ms=20)
        assert len(scene.shift_posts()) == 1

        # Past the lease, the relay publishes again the three never recorded, not the first.
        scene.clock.now = NOW + PAST_THE_LEASE
        await in_thread(lambda: wait_until(lambda: scene.stream_length() == 3, seconds=10,
                                           what="three events published again"))
        await rounds_until(notifier, lambda: len(scene.shift_posts()) == 4,
                           what="every shift posted")
        await rounds_until(notifier, lambda: all(row.delivered_at for row in scene.outbox()),
                           what="every event recorded delivered in staffing")
        # Another lease later nothing is published again, and a few more rounds post nothing.
        scene.clock.now = NOW + 3 * PAST_THE_LEASE
        scene.relay.publish_pending()
        assert scene.stream_length() == 3
        for _ in range(3):
            await notifier.run_once(block_ms=20)

        posts = scene.shift_posts()
        assert len(posts) == 4
        recorded = scene.recorded_ts()
        assert len(recorded) == 4
        assert sorted(recorded.values()) == sorted(p.answer["ts"] for p in posts)
        assert sorted(p.body["channel"] for p in posts) == sorted(
            ["C0ICU0001", "C0ICU0001", "C04W00001", "C04W00001"])


class DiesAfterSlackTookThePost(RedisEventStream):
    """The notifier that dies right after chat.postMessage answered: nothing recorded."""

    async def remember_posted(self, event_id: str, ts: str) -> None:
        raise RuntimeError("killed after Slack accepted the post")


async def test_shifts_posted_but_never_recorded_are_not_posted_again_after_redis_loses_its_data(
        database_url: str) -> None:
    async with ward(database_url) as scene:
        opened = [await scene.report(*gap) for gap in (GAPS[0], GAPS[2])]  # two channels
        scene.relay.publish_pending()
        # Slack takes both posts; the notifier dies before Redis or staffing hear of them.
        dying = scene.notifier("bot-dead", DiesAfterSlackTookThePost)
        await dying.run_once(block_ms=20)
        assert len(scene.shift_posts()) == 2
        assert set(scene.recorded_ts().values()) == {""}
        # Redis loses the stream, the dead reader's pending entries and every posted record.
        await in_thread(scene.lose_redis)

        scene.clock.now = NOW + PAST_THE_LEASE
        assert scene.relay.publish_pending() == 2
        notifier = scene.notifier("bot-new")
        await rounds_until(notifier, lambda: all(row.delivered_at for row in scene.outbox()),
                           what="both events recorded delivered")
        posts = scene.shift_posts()
        assert len(posts) == 2  # found in the channel by the event id in their metadata
        recorded = scene.recorded_ts()
        assert sorted(recorded[shift] for shift in opened) == sorted(
            p.answer["ts"] for p in posts)
