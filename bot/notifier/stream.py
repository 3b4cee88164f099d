"""The notifier's side of the event stream: a Redis consumer group, or the demo's in-process one.

Besides the entries, the stream keeps what makes a post happen once: `posted:<event_id>` → the
Slack ts (SET NX, kept a week), the failed attempts per event, and the dead-letter stream.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as redis
from redis.exceptions import ResponseError

from clinops.outbox import DEAD_STREAM, STREAM, Event, InProcessStream

DEFAULT_GROUP = "clinops-bot"
DEFAULT_PREFIX = "clinops:events:"
# Long past any redelivery: a reclaimed entry is at most minutes old.
RECORD_TTL_SECONDS = 7 * 86400

logger = logging.getLogger("clinops.notifier")


@dataclass(frozen=True)
class Entry:
    """One stream entry; `event` is None when the stream no longer holds a readable event."""

    entry_id: str
    event: Event | None
    # Read before and never acknowledged (a failed attempt, or a dead consumer's entry taken
    # over): Slack may already hold its post, so the notifier looks before posting again.
    redelivered: bool = False


class EventStream(Protocol):
    async def read(self, consumer: str, *, count: int, block_ms: int | None) -> list[Entry]:
        """This consumer's unacknowledged entries first, then new ones, in stream order."""
        ...

    async def ack(self, entry: Entry) -> None: ...

    async def reclaim(self, consumer: str, *, min_idle_ms: int) -> int:
        """Take over entries another consumer read but never acknowledged; how many."""
        ...

    async def dead_letter(self, entry: Entry, *, reason: str) -> None: ...

    async def posted(self, event_id: str) -> str | None:
        """The ts of the post already made for this event, if any."""
        ...

    async def remember_posted(self, event_id: str, ts: str) -> None: ...

    async def count_failure(self, event_id: str) -> int:
        """One more failed attempt at this event; the attempts so far."""
        ...


def _entries(raw: Any, *, redelivered: bool = False) -> list[Entry]:
    found = []
    for entry_id, fields in raw or []:
        key = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        try:
            event = Event.from_fields(fields) if fields else None
        except (KeyError, ValueError):
            logger.error("notifier: unreadable stream entry %s", key)
            event = None
        # A copy the relay published again (its first was never recorded delivered) is looked
        # for in Slack before posting, as an entry read before is.
        found.append(Entry(key, event, redelivered or (event is not None and event.republished)))
    return found


class RedisEventStream:
    """XREADGROUP/XACK/XAUTOCLAIM on `stream` in consumer group `group`."""

    def __init__(self, client: redis.Redis, *, stream: str = STREAM, group: str = DEFAULT_GROUP,
                 dead_stream: str = DEAD_STREAM, prefix: str = DEFAULT_PREFIX,
                 record_ttl_seconds: int = RECORD_TTL_SECONDS) -> None:
        self.client, self.stream, self.group = client, stream, group
        self.dead_stream, self.prefix, self.record_ttl_seconds = (
            dead_stream, prefix, record_ttl_seconds)
        self._group_ready = False

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisEventStream:
        return cls(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5),
                   **kwargs)

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            # From the stream's start: events published before the first bot ran are announced.
            await self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_ready = True

    async def read(self, consumer: str, *, count: int, block_ms: int | None) -> list[Entry]:
        try:
            return await self._read(consumer, count=count, block_ms=block_ms)
        except ResponseError as error:
            # Redis came back without its data (restarted without persistence, a fresh
            # replica): the group is gone with it; make it again rather than fail forever.
            if "NOGROUP" not in str(error):
                raise
            logger.warning("notifier: consumer group %s missing; creating it again", self.group)
            self._group_ready = False
            return await self._read(consumer, count=count, block_ms=block_ms)

    async def _read(self, consumer: str, *, count: int, block_ms: int | None) -> list[Entry]:
        await self._ensure_group()
        mine = await self.client.xreadgroup(self.group, consumer, {self.stream: "0"}, count=count)
        pending = _entries(mine[0][1], redelivered=True) if mine else []
        fresh = await self.client.xreadgroup(
            self.group, consumer, {self.stream: ">"}, count=count,
            block=None if pending or not block_ms else block_ms)
        return pending + (_entries(fresh[0][1]) if fresh else [])

    async def ack(self, entry: Entry) -> None:
        await self.client.xack(self.stream, self.group, entry.entry_id)

    async def reclaim(self, consumer: str, *, min_idle_ms: int) -> int:
        await self._ensure_group()
        claimed, start = 0, "0-0"
        for _ in range(100):  # bounded: 100 pages of 100 entries per call
            answer = await self.client.xautoclaim(self.stream, self.group, consumer,
                                                  min_idle_time=min_idle_ms, start_id=start,
                                                  count=100)
            start, entries = answer[0], answer[1]
            claimed += len(entries)
            if start in (b"0-0", "0-0"):
                break
        return claimed

    async def dead_letter(self, entry: Entry, *, reason: str) -> None:
        fields = entry.event.to_fields() if entry.event else {}
        await self.client.xadd(self.dead_stream, {**fields, "entry_id": entry.entry_id,
                                                  "reason": reason[:500]})
        await self.client.incr(self.prefix + "dead:count")

    async def dead_count(self) -> int:
        return int(await self.client.get(self.prefix + "dead:count") or 0)

    async def posted(self, event_id: str) -> str | None:
        found = await self.client.get(self.prefix + "posted:" + event_id)
        return found.decode() if isinstance(found, bytes) else found

    async def remember_posted(self, event_id: str, ts: str) -> None:
        await self.client.set(self.prefix + "posted:" + event_id, ts, nx=True,
                              ex=self.record_ttl_seconds)

    async def count_failure(self, event_id: str) -> int:
        key = self.prefix + "attempts:" + event_id
        async with self.client.pipeline(transaction=True) as pipe:
            attempts, _ = await pipe.incr(key).expire(key, self.record_ttl_seconds).execute()
        return int(attempts)

    async def close(self) -> None:
        await self.client.aclose()


class InProcessEventStream:
    """The same contract over the demo's InProcessStream: one consumer, kept in memory."""

    def __init__(self, source: InProcessStream) -> None:
        self.source = source
        self._pending: list[Entry] = []
        self._posted: dict[str, str] = {}
        self._attempts: dict[str, int] = {}
        self.dead: list[tuple[Entry, str]] = []

    async def read(self, consumer: str, *, count: int, block_ms: int | None) -> list[Entry]:
        again = [Entry(e.entry_id, e.event, redelivered=True) for e in self._pending]
        self._pending = again + [Entry(i, e, e.republished)
                                 for i, e in self.source.take(count)]
        return list(self._pending)

    async def ack(self, entry: Entry) -> None:
        self._pending = [e for e in self._pending if e.entry_id != entry.entry_id]

    async def reclaim(self, consumer: str, *, min_idle_ms: int) -> int:
        return 0

    async def dead_letter(self, entry: Entry, *, reason: str) -> None:
        self.dead.append((entry, reason))

    async def posted(self, event_id: str) -> str | None:
        return self._posted.get(event_id)

    async def remember_posted(self, event_id: str, ts: str) -> None:
        self._posted.setdefault(event_id, ts)

    async def count_failure(self, event_id: str) -> int:
        self._attempts[event_id] = self._attempts.get(event_id, 0) + 1
        return self._attempts[event_id]
