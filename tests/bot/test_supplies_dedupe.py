"""Seen-once keys for Events API deliveries: real Redis (unique prefix per test) and in process."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot.dedupe import DedupeSettings, InProcessDedupe, RedisDedupe

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def redis_dedupe() -> AsyncIterator[RedisDedupe]:
    prefix = f"test:{uuid.uuid4().hex}:"
    dedupe = RedisDedupe(redis.Redis.from_url(REDIS_URL), prefix=prefix, ttl_seconds=3600)
    yield dedupe
    keys = [key async for key in dedupe.client.scan_iter(match=prefix + "*")]
    if keys:
        await dedupe.client.delete(*keys)
    await dedupe.close()


async def test_an_event_id_is_new_once_and_a_retry_of_it_is_not(redis_dedupe) -> None:
    assert await redis_dedupe.first_time("Ev0001")
    assert not await redis_dedupe.first_time("Ev0001")
    assert await redis_dedupe.first_time("Ev0002")


async def test_the_key_lives_at_least_an_hour_under_the_given_prefix(redis_dedupe) -> None:
    await redis_dedupe.first_time("Ev0003")
    ttl = await redis_dedupe.client.ttl(redis_dedupe.prefix + "Ev0003")
    assert 3590 <= ttl <= 3600


async def test_twenty_simultaneous_deliveries_of_one_event_let_exactly_one_through(
    redis_dedupe,
) -> None:
    answers = await asyncio.gather(*(redis_dedupe.first_time("Ev0004") for _ in range(20)))
    assert answers.count(True) == 1


async def test_a_forgotten_claim_lets_slacks_retry_do_the_work(redis_dedupe) -> None:
    assert await redis_dedupe.first_time("Ev0005")
    await redis_dedupe.forget("Ev0005")
    assert await redis_dedupe.first_time("Ev0005")


def test_a_ttl_under_an_hour_is_refused() -> None:
    with pytest.raises(ValueError, match="at least an hour"):
        RedisDedupe(redis.Redis.from_url(REDIS_URL), ttl_seconds=60)


def test_the_redis_url_comes_from_clinops_redis_url(monkeypatch) -> None:
    monkeypatch.delenv("CLINOPS_REDIS_URL", raising=False)
    assert DedupeSettings().redis_url == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("CLINOPS_REDIS_URL", "redis://cache.internal:6380/2")
    assert DedupeSettings().redis_url == "redis://cache.internal:6380/2"


async def test_in_process_keys_expire_after_their_ttl() -> None:
    now = [1000.0]
    dedupe = InProcessDedupe(ttl_seconds=3600, monotonic=lambda: now[0])
    assert await dedupe.first_time("Ev0006")
    now[0] += 3599
    assert not await dedupe.first_time("Ev0006")
    now[0] += 2
    assert await dedupe.first_time("Ev0006")
