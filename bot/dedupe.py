"""Seen-once keys for Slack deliveries: an Events API retry must not act twice.

Slack resends an event (X-Slack-Retry-Num) when it did not see a 200 in 3 s; the event_id stays
the same. `first_time(event_id)` is true for exactly one delivery. Production keeps the keys in
Redis (`SET NX EX`, shared by every bot process); the demo console, which has no Redis, keeps
them in process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as redis
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Slack retries three times within about 5 minutes; an hour is well past the last one.
DEFAULT_TTL_SECONDS = 6 * 3600
DEFAULT_PREFIX = "clinops:bot:seen:"


class DedupeSettings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    redis_url: str = Field(default="redis://127.0.0.1:6379/0",
                           validation_alias="CLINOPS_REDIS_URL")


class Dedupe(Protocol):
    async def first_time(self, key: str) -> bool:
        """True for the first claim of `key` within the TTL, False for every later one."""
        ...

    async def forget(self, key: str) -> None:
        """Release a claim whose work failed, so Slack's retry can do it."""
        ...


class RedisDedupe:
    """`SET prefix+key 1 NX EX ttl`: atomic across processes; the connection opens on first use."""

    def __init__(self, client: redis.Redis, *, prefix: str = DEFAULT_PREFIX,
                 ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        if ttl_seconds < 3600:
            raise ValueError("keep seen keys at least an hour: Slack retries for minutes")
        self.client, self.prefix, self.ttl_seconds = client, prefix, ttl_seconds

    @classmethod
    def from_url(cls, url: str, **kwargs: object) -> RedisDedupe:
        return cls(redis.Redis.from_url(url), **kwargs)  # type: ignore[arg-type]

    async def first_time(self, key: str) -> bool:
        return bool(await self.client.set(self.prefix + key, b"1", nx=True,
                                          ex=self.ttl_seconds))

    async def forget(self, key: str) -> None:
        await self.client.delete(self.prefix + key)

    async def close(self) -> None:
        await self.client.aclose()


class InProcessDedupe:
    """The same contract in one process's memory, for the demo console and unit tests."""

    def __init__(self, *, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds, self.monotonic = ttl_seconds, monotonic
        self._expires: dict[str, float] = {}
        self._lock = threading.Lock()

    async def first_time(self, key: str) -> bool:
        now = self.monotonic()
        with self._lock:
            for stale in [k for k, until in self._expires.items() if until <= now]:
                del self._expires[stale]
            if key in self._expires:
                return False
            self._expires[key] = now + self.ttl_seconds
            return True

    async def forget(self, key: str) -> None:
        with self._lock:
            self._expires.pop(key, None)


def from_environment() -> RedisDedupe:
    """The bot's dedupe: Redis at CLINOPS_REDIS_URL (no connection until the first event)."""
    return RedisDedupe.from_url(DedupeSettings().redis_url)
