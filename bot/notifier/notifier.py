"""Service events → Slack posts, once each, in order per channel, paced per channel.

An entry is acknowledged only after Slack accepted its post and the owning service recorded
where it is and that the event is delivered (or it was already delivered, or it went to the
dead-letter stream). Before posting, the event id is looked up in three places, cheapest first:
the posted records in Redis; the owning service's delivery record (GetEventDelivery), which
survives when Redis lost its data with the stream and the service's relay published the event
again; and, for an entry read before or published again, Slack itself. Every post carries its
event id in the message metadata: a notifier that dies after Slack took the post but before the
service heard leaves the event unrecorded, and its next copy (reclaimed, or published again past
the relay's lease) finds the post in the channel's (or thread's) recent history, so the post is
never made twice.

The service's record is the one that decides: it is in the database, written once per event,
and answers for any event however old; Slack's history is searched only in that last window,
because it is paged, bounded to a few pages, rate limited (Tier 3) and cannot be read at all
while Slack is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.models.metadata import Metadata
from slack_sdk.web.async_client import AsyncWebClient

from bot.notifier.announcements import Post, Recording, announcement
from bot.notifier.pacing import ChannelPacer
from bot.notifier.recording import Delivered
from bot.notifier.stream import Entry, EventStream
from clinops.metrics import EVENTS, REMINDERS_SENT
from clinops.outbox import Event

logger = logging.getLogger("clinops.notifier")

DEFAULT_MAX_ATTEMPTS = 5
# A consumer silent this long is taken for dead: its entries are reclaimed by a live one.
DEFAULT_RECLAIM_IDLE_MS = 60_000
# Every announcement carries its event id in the message metadata, so a notifier that takes over
# an entry can tell whether Slack already took its post (as the reminder job does).
EVENT_METADATA_TYPE = "clinops_event"
# The look-back for that post starts this long before the event (service and Slack clocks
# differ a little); a channel's posts since are few, so a few pages do.
CLOCK_SKEW = timedelta(minutes=2)
HISTORY_PAGE = 100
HISTORY_PAGES = 5


class ParentNotPosted(Exception):
    """An answer in a thread whose parent post is not made yet: tried again later."""


class Recorder(Protocol):
    async def record(self, recording: Recording, *, channel: str, ts: str,
                     event_id: str) -> None:
        """Tell the owning service where the post is; raise if it may not have heard."""
        ...

    async def delivered(self, event: Event) -> Delivered | None:
        """The post the owning service recorded for `event`, if it recorded one."""
        ...

    async def record_delivery(self, event: Event, *, channel: str, ts: str) -> None:
        """Tell the owning service `event` is delivered; raise if it may not have heard."""
        ...

    async def current(self, post: Post) -> Post:
        """`post` showing its subject as the owning service has it now."""
        ...


# The metadata of the reminder DMs the scheduler sent itself, before reminders were events.
REMINDER_METADATA_TYPE = "clinops_reminder"


def event_metadata(event: Event, once_key: str = "") -> Metadata:
    payload = {"event_id": event.event_id}
    if once_key:
        payload["reminder"] = once_key
    return Metadata(event_type=EVENT_METADATA_TYPE, event_payload=payload)


def carries_event(message: dict[str, Any], event_id: str, once_key: str = "") -> bool:
    """Whether `message` is the post of this event, or (with `once_key`) of any event, or of
    the scheduler's own DM, for the same reminder."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    if metadata.get("event_type") == EVENT_METADATA_TYPE and payload.get("event_id") == event_id:
        return True
    return bool(once_key) and metadata.get("event_type") in (
        EVENT_METADATA_TYPE, REMINDER_METADATA_TYPE) and payload.get("reminder") == once_key


def consumer_name() -> str:
    """Unique per process: host and pid."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Notifier:
    """Reads the event stream in a consumer group and announces each event in Slack."""

    def __init__(self, *, stream: EventStream, client: AsyncWebClient, consumer: str,
                 pacer: ChannelPacer | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 reclaim_idle_ms: int = DEFAULT_RECLAIM_IDLE_MS, batch: int = 50,
                 render: Callable[[Event], Post | None] = announcement,
                 recorder: Recorder | None = None, channels_side_by_side: bool = True) -> None:
        """`channels_side_by_side=False`: one channel after another, in stream order (the demo
        console, whose transcript and button numbers must come out the same every run)."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.stream, self.client, self.consumer = stream, client, consumer
        self.pacer = pacer or ChannelPacer()
        self.max_attempts, self.reclaim_idle_ms, self.batch = (
            max_attempts, reclaim_idle_ms, batch)
        self.render, self.recorder = render, recorder
        self.channels_side_by_side = channels_side_by_side
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
                if entry.event is not None and not await self._acknowledged(entry.event):
                    continue  # its service did not hear; the entry is read again next round
                await self.stream.ack(entry)
                settled += 1
                continue
            by_channel.setdefault(post.channel, []).append((entry, post))
        # Channels go out side by side; within one, strictly in stream order.
        if self.channels_side_by_side:
            delivered = await asyncio.gather(*(self._deliver(items)
                                               for items in by_channel.values()))
        else:
            delivered = [await self._deliver(items) for items in by_channel.values()]
        return settled + sum(delivered)

    async def _deliver(self, items: list[tuple[Entry, Post]]) -> int:
        settled = 0
        for entry, post in items:
            event = entry.event
            assert event is not None
            try:
                channel, ts = post.channel, await self.stream.posted(event.event_id)
                if ts is None:
                    recorded = await self._recorded(event)
                    if recorded is not None:
                        # Delivered before (Redis lost its records, or this is a copy the
                        # relay published again): nothing to post or record.
                        logger.info("notifier: %s %s was delivered before (ts %s); not posted "
                                    "again", event.kind, event.event_id, recorded.ts)
                        if recorded.ts:
                            await self.stream.remember_posted(event.event_id, recorded.ts)
                        await self.stream.ack(entry)
                        settled += 1
                        continue
                    channel, ts = await self._post_once(entry, event, post)
                if post.recording is not None and self.recorder is not None:
                    # Idempotent (keyed by the event id): repeated after a crash, it changes
                    # nothing twice.
                    await self.recorder.record(post.recording, channel=post.channel, ts=ts,
                                               event_id=event.event_id)
                if self.recorder is not None:
                    await self.recorder.record_delivery(event, channel=channel, ts=ts)
            except Exception as error:  # noqa: BLE001 - any refusal counts as an attempt
                attempts = await self.stream.count_failure(event.event_id)
                EVENTS.labels("failed").inc()
                if attempts < self.max_attempts:
                    logger.warning("notifier: %s %s not delivered (attempt %d of %d): %s",
                                   event.kind, event.event_id, attempts, self.max_attempts,
                                   type(error).__name__)
                    self.failed_rounds += 1
                    # The rest of this channel waits: posting it now would break the order.
                    return settled
                await self._dead_letter(entry, f"{attempts} attempts: {error!r}")
                settled += 1
                continue
            await self.stream.ack(entry)
            settled += 1
        return settled

    async def _recorded(self, event: Event) -> Delivered | None:
        return await self.recorder.delivered(event) if self.recorder is not None else None

    async def _acknowledged(self, event: Event) -> bool:
        """An event with nothing to post, recorded delivered in its service (so its relay stops
        publishing it); False (logged) when the service did not answer."""
        if self.recorder is None:
            return True
        try:
            await self.recorder.record_delivery(event, channel="", ts="")
        except Exception as error:  # noqa: BLE001 - any failure: tried again next round
            logger.warning("notifier: %s %s (nothing to post) not recorded delivered: %s",
                           event.kind, event.event_id, type(error).__name__)
            return False
        return True

    async def _parent_ts(self, event: Event, parent_event_id: str) -> str | None:
        """The ts of the post made for `parent_event_id` (an event of the same service)."""
        ts = await self.stream.posted(parent_event_id) or None
        if ts is None and self.recorder is not None:
            parent = dataclasses.replace(event, event_id=parent_event_id)
            recorded = await self.recorder.delivered(parent)
            ts = recorded.ts if recorded is not None and recorded.ts else None
            if ts is not None:
                await self.stream.remember_posted(parent_event_id, ts)
        return ts

    async def _post_once(self, entry: Entry, event: Event, post: Post) -> tuple[str, str]:
        """Post `event` unless Slack already holds its post; where the post is (the channel,
        or the DM's, and its ts) either way."""
        channel = post.channel
        if post.user:
            # conversations.open answers the same DM every time: safe to repeat.
            opened = await self.client.conversations_open(users=post.user)
            channel = opened["channel"]["id"]
        thread_ts = post.thread_ts
        if not thread_ts and post.thread_of:
            thread_ts = await self._parent_ts(event, post.thread_of)
            if thread_ts is None:
                raise ParentNotPosted(f"the post of event {post.thread_of} is not made yet")
        if entry.redelivered or post.look_since is not None:
            # Read before and never acknowledged: the reader may have died after Slack took
            # the post and before it was recorded. The event id in the message metadata says.
            # A reminder queued again: an earlier event of it may have been DMed; its key says.
            found = await self._find_earlier_post(event, channel, thread_ts, post)
            if found is not None:
                logger.info("notifier: %s %s was posted before (ts %s); not posted again",
                            event.kind, event.event_id, found)
                await self.stream.remember_posted(event.event_id, found)
                return channel, found
        if post.current and post.recording is not None and self.recorder is not None:
            post = await self.recorder.current(post)
        await self.pacer.wait(post.channel)
        answer = await self.client.chat_postMessage(
            channel=channel, text=post.text, thread_ts=thread_ts,
            blocks=list(post.blocks) or None, metadata=event_metadata(event, post.once_key))
        await self.stream.remember_posted(event.event_id, answer["ts"])
        self.posted += 1
        EVENTS.labels("delivered").inc()
        if post.recording is not None and post.recording.what == "reminder":
            REMINDERS_SENT.inc()
        return channel, str(answer["ts"])

    async def _find_earlier_post(self, event: Event, channel: str, thread_ts: str | None,
                                 post: Post) -> str | None:
        """The ts of a message in `channel` (or the thread) carrying this event's id (or the
        post's once key), if any.

        Looks back from the event's time (or the post's `look_since`) less the clock skew, a few
        pages at most; raises when Slack does not answer (then nobody knows, so nothing is
        posted this round).
        """
        since = min(event.occurred_at, post.look_since or event.occurred_at)
        oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
        cursor = None
        for _ in range(HISTORY_PAGES):
            if thread_ts:
                try:
                    page = await self.client.conversations_replies(
                        channel=channel, ts=thread_ts, oldest=oldest, limit=HISTORY_PAGE,
                        include_all_metadata=True, cursor=cursor)
                except SlackApiError as error:
                    if error.response.get("error") == "thread_not_found":
                        return None  # no thread, so nothing was posted in it
                    raise
            else:
                page = await self.client.conversations_history(
                    channel=channel, oldest=oldest, limit=HISTORY_PAGE,
                    include_all_metadata=True, cursor=cursor)
            for message in page.get("messages") or []:
                if carries_event(message, event.event_id, post.once_key):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        logger.warning("notifier: %s not found in %d pages of %s; posting it",
                       event.event_id, HISTORY_PAGES, channel)
        return None

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
