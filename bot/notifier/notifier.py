"""Service events → Slack posts, once each, in order per channel, paced per channel.

An entry is acknowledged only after Slack accepted its post (or it was already posted, or it
went to the dead-letter stream). Before posting, the event id is looked up in the posted
records, and the Slack ts is recorded right after the post: a notifier that dies between post
and XACK leaves an entry that the next one reclaims and acknowledges without posting again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.notifier.announcements import Post, announcement
from bot.notifier.pacing import ChannelPacer
from bot.notifier.stream import Entry, EventStream
from clinops.metrics import EVENTS
from clinops.outbox import Event

logger = logging.getLogger("clinops.notifier")

DEFAULT_MAX_ATTEMPTS = 5
# A consumer silent this long is taken for dead: its entries are reclaimed by a live one.
DEFAULT_RECLAIM_IDLE_MS = 60_000


def consumer_name() -> str:
    """Unique per process: host and pid."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Notifier:
    """Reads the event stream in a consumer group and announces each event in Slack."""

    def __init__(self, *, stream: EventStream, client: AsyncWebClient, consumer: str,
                 pacer: ChannelPacer | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 reclaim_idle_ms: int = DEFAULT_RECLAIM_IDLE_MS, batch: int = 50,
                 render: Callable[[Event], Post | None] = announcement) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.stream, self.client, self.consumer = stream, client, consumer
        self.pacer = pacer or ChannelPacer()
        self.max_attempts, self.reclaim_idle_ms, self.batch = (
            max_attempts, reclaim_idle_ms, batch)
        self.render = render
        self.posted = 0
        self.dead_lettered = 0
        self.failed_rounds = 0

    async def reclaim(self) -> int:
        """Take over what dead consumers read but never acknowledged."""
        claimed = await self.stream.reclaim(self.consumer, min_idle_ms=self.reclaim_idle_ms)
        if claimed:
            logger.info("notifier: reclaimed %d unacknowledged events", claimed)
        return claimed

    async def run_once(self, *, block_ms: int | None = None) -> int:
        """One read of the stream, delivered; how many entries were settled (acknowledged)."""
        entries = await self.stream.read(self.consumer, count=self.batch, block_ms=block_ms)
        by_channel: dict[str, list[tuple[Entry, Post]]] = {}
        settled = 0
        for entry in entries:
            post = None
            if entry.event is not None:
                try:
                    post = self.render(entry.event)
                except (KeyError, TypeError, ValueError) as error:
                    await self._dead_letter(entry, f"cannot be announced: {error!r}")
                    settled += 1
                    continue
            if post is None:
                await self.stream.ack(entry)
                settled += 1
                continue
            by_channel.setdefault(post.channel, []).append((entry, post))
        # Channels go out side by side; within one, strictly in stream order.
        delivered = await asyncio.gather(*(self._deliver(items) for items in by_channel.values()))
        return settled + sum(delivered)

    async def _deliver(self, items: list[tuple[Entry, Post]]) -> int:
        settled = 0
        for entry, post in items:
            event = entry.event
            assert event is not None
            if await self.stream.posted(event.event_id) is None:
                await self.pacer.wait(post.channel)
                try:
                    channel = post.channel
                    if post.user:
                        # conversations.open answers the same DM every time: safe to repeat.
                        opened = await self.client.conversations_open(users=post.user)
                        channel = opened["channel"]["id"]
                    answer = await self.client.chat_postMessage(
                        channel=channel, text=post.text, thread_ts=post.thread_ts)
                except Exception as error:  # noqa: BLE001 - any refusal counts as an attempt
                    attempts = await self.stream.count_failure(event.event_id)
                    EVENTS.labels("failed").inc()
                    if attempts < self.max_attempts:
                        logger.warning("notifier: %s %s not posted (attempt %d of %d): %s",
                                       event.kind, event.event_id, attempts, self.max_attempts,
                                       type(error).__name__)
                        self.failed_rounds += 1
                        # The rest of this channel waits: posting it now would break the order.
                        return settled
                    await self._dead_letter(entry, f"{attempts} attempts: {error!r}")
                    settled += 1
                    continue
                await self.stream.remember_posted(event.event_id, answer["ts"])
                self.posted += 1
                EVENTS.labels("delivered").inc()
            await self.stream.ack(entry)
            settled += 1
        return settled

    async def _dead_letter(self, entry: Entry, reason: str) -> None:
        await self.stream.dead_letter(entry, reason=reason)
        await self.stream.ack(entry)
        self.dead_lettered += 1
        EVENTS.labels("dead_lettered").inc()
        event = entry.event
        logger.error("notifier: event %s (%s) moved to the dead-letter stream: %s",
                     event.event_id if event else entry.entry_id,
                     event.kind if event else "unreadable", reason)

    async def run(self, stop: asyncio.Event, *, block_ms: int = 1000,
                  reclaim_every_seconds: float = 30.0) -> None:
        """Until `stop` is set: reclaim now and then, read, deliver; back off while failing."""
        loop = asyncio.get_running_loop()
        next_reclaim, backoff = 0.0, 0.0
        while not stop.is_set():
            try:
                if loop.time() >= next_reclaim:
                    await self.reclaim()
                    next_reclaim = loop.time() + reclaim_every_seconds
                failed_before = self.failed_rounds
                await self.run_once(block_ms=block_ms)
                backoff = min(max(backoff * 2, 1.0), 30.0) if (
                    self.failed_rounds > failed_before) else 0.0
            except Exception:  # noqa: BLE001 - Redis away: keep the loop, retry after a pause
                logger.warning("notifier: event stream unavailable; retrying", exc_info=True)
                backoff = min(max(backoff * 2, 1.0), 30.0)
            if backoff:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
