"""Events against a real Redis (names unique per test, deleted after) and a staffing database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime

import pytest
import redis
import redis.asyncio as aioredis

from bot.notifier.stream import RedisEventStream
from clinops.demo.hospital import build_hospital
from clinops.slack_standin import SlackStandIn
from services.staffing.seed import seed_demo
from services.staffing.store import StaffingStore, migrate

REDIS_URL = "redis://127.0.0.1:6379/0"
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
TODAY = date(2026, 11, 26)


@pytest.fixture
def key_prefix() -> Iterator[str]:
    """A prefix no other test uses; every key under it is deleted afterwards."""
    prefix = f"test:events:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def stream_name(key_prefix: str) -> str:
    return key_prefix + "stream"


@pytest.fixture
async def event_stream(key_prefix: str, stream_name: str) -> AsyncIterator[RedisEventStream]:
    stream = RedisEventStream(aioredis.Redis.from_url(REDIS_URL), stream=stream_name,
                              dead_stream=key_prefix + "dead", prefix=key_prefix)
    yield stream
    await stream.close()


@pytest.fixture
def hospital():
    return build_hospital(TODAY)


@pytest.fixture
def staffing_store(database_url: str, hospital) -> Iterator[StaffingStore]:
    migrate(database_url)
    store = StaffingStore.open(database_url)
    seed_demo(store, hospital)
    yield store
    store.close()



@pytest.fixture
def slack(hospital) -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id=hospital.team_id) as standin:
        yield standin
