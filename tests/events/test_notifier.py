"""The notifier against a real Redis stream and the Slack stand-in: once each, in order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import web_client
from bot.config import BotSettings
from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from bot.notifier.stream import RedisEventStream
from clinops.outbox import Event, RedisPublisher
from tests.events.conftest import REDIS_URL

AT = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)


def awarded(channel: str, name: str, filled: int = 1) -> Event:
    return Event(kind="open_shift.awarded", service="staffing", occurred_at=AT, payload={
        "slack_channel_id": channel, "slack_message_ts": "1700000000.000100", "slots": 9,
        "slots_filled": filled, "display_name": name, "slack_user_id": ""})


def publish(stream_name: str, *events: Event) -> None:
    publisher = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    for event in events:
        publisher.publish(event)
    publisher.close()


def plain_client(slack) -> AsyncWebClient:
    """No retry handlers: every refusal reaches the notifier as one failed attempt."""
    return AsyncWebClient(token="xoxb-events", base_url=slack.base_url)


def notifier(stream, client, consumer: str = "bot-1", **kwargs) -> Notifier:
    kwargs.setdefault("pacer", ChannelPacer(0))
    return Notifier(stream=stream, client=client, consumer=consumer, **kwargs)


def delivered(slack) -> list[tuple[str, str]]:
    return [(c.body["channel"], c.body["text"]) for c in slack.calls("chat.postMessage")
            if c.answer.get("ok")]


async def settle(bot: Notifier, rounds: int = 10) -> None:
    """Run rounds until the stream holds nothing for this consumer (bounded)."""
    for _ in range(rounds):
        if await bot.run_once() == 0 and not await bot.stream.read(
                bot.consumer, count=1, block_ms=None):
            return


async def test_an_award_event_is_posted_in_the_shifts_thread(slack, event_stream, stream_name):
    publish(stream_name, awarded("C0ICU0001", "Rajesh Iyer"))
    bot = notifier(event_stream, plain_client(slack))
    assert await bot.run_once() == 1
    [post] = slack.calls("chat.postMessage")
    assert post.body["thread_ts"] == "1700000000.000100"
    assert post.body["text"].startswith("Awarded to Rajesh Iyer — 1 of 9 filled.")
    assert await bot.run_once() == 0 and len(slack.calls("chat.postMessage")) == 1


async def test_a_notifier_killed_between_post_and_ack_does_not_post_again_after_restart(
        slack, event_stream, stream_name):
    publish(stream_name, awarded("C0ICU0001", "Aisha Rahman"))

    class KilledBeforeAck(RedisEventStream):
        async def ack(self, entry) -> None:
            raise RuntimeError("killed between post and XACK")

    dying = KilledBeforeAck(event_stream.client, stream=event_stream.stream,
                            dead_stream=event_stream.dead_stream, prefix=event_stream.prefix)
    with pytest.raises(RuntimeError):
        await notifier(dying, plain_client(slack), consumer="bot-dead").run_once()
    assert len(delivered(slack)) == 1

    restarted = notifier(event_stream, plain_client(slack), consumer="bot-new",
                         reclaim_idle_ms=0)
    assert await restarted.reclaim() == 1
    assert await restarted.run_once() == 1
    assert len(delivered(slack)) == 1
    summary = await event_stream.client.xpending(stream_name, event_stream.group)
    assert summary["pending"] == 0


async def test_an_event_slack_keeps_refusing_goes_to_the_dead_letter_stream(
        slack, event_stream, stream_name, caplog):
    publish(stream_name, awarded("C0ICU0001", "Never Posted"), awarded("C0ICU0001", "Next", 2))
    slack.fail_next("chat.postMessage", 3, status=500)
    bot = notifier(event_stream, plain_client(slack), max_attempts=3)
    await settle(bot)
    assert delivered(slack) == [("C0ICU0001", "Awarded to Next — 2 of 9 filled.")]
    [(_, dead)] = await event_stream.client.xrange(event_stream.dead_stream)
    assert b"Never Posted" in dead[b"payload"]
    assert b"3 attempts" in dead[b"reason"]
    assert bot.dead_lettered == 1 and await event_stream.dead_count() == 1
    assert "dead-letter" in caplog.text
    summary = await event_stream.client.xpending(stream_name, event_stream.group)
    assert summary["pending"] == 0


async def test_429_and_500_from_slack_still_deliver_each_message_once_in_order_per_channel(
        slack, event_stream, stream_name):
    icu = [awarded("C0ICU0001", f"ICU nurse {n}", n) for n in range(1, 4)]
    ward = [awarded("C0MEDSURG", f"4W nurse {n}", n) for n in range(1, 3)]
    publish(stream_name, icu[0], ward[0], icu[1], ward[1], icu[2])
    client = web_client(BotSettings(bot_token="xoxb-events", signing_secret="s",
                                    slack_api_url=slack.base_url))
    bot = notifier(event_stream, client)
    # One 429 (retried by the client after Retry-After), then more 500s than the client retries.
    slack.fail_next("chat.postMessage", 1, status=429, retry_after=0)
    await bot.run_once()
    slack.fail_next("chat.postMessage", 3, status=500)
    await settle(bot)
    posts = delivered(slack)
    assert [t for c, t in posts if c == "C0ICU0001"] == [
        f"Awarded to ICU nurse {n} — {n} of 9 filled." for n in range(1, 4)]
    assert [t for c, t in posts if c == "C0MEDSURG"] == [
        f"Awarded to 4W nurse {n} — {n} of 9 filled." for n in range(1, 3)]
    assert len(slack.calls("chat.postMessage")) > len(posts)  # the faults really happened


async def test_posts_to_one_channel_are_paced_one_per_second_and_other_channels_do_not_wait(
        slack, event_stream, stream_name):
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    publish(stream_name, awarded("C0ICU0001", "A", 1), awarded("C0ICU0001", "B", 2),
            awarded("C0ICU0001", "C", 3), awarded("C0MEDSURG", "D", 1))
    bot = notifier(event_stream, plain_client(slack),
                   pacer=ChannelPacer(1.0, monotonic=lambda: now[0], sleep=sleep))
    assert await bot.run_once() == 4
    assert slept == [1.0, 1.0]
    assert [t for c, t in delivered(slack) if c == "C0ICU0001"] == [
        "Awarded to A — 1 of 9 filled.", "Awarded to B — 2 of 9 filled.",
        "Awarded to C — 3 of 9 filled."]


async def test_an_event_the_bot_has_nothing_to_say_about_is_acknowledged_without_a_post(
        slack, event_stream, stream_name):
    publish(stream_name, Event(kind="census.recorded", service="staffing", occurred_at=AT,
                               payload={}))
    bot = notifier(event_stream, plain_client(slack))
    assert await bot.run_once() == 1
    assert slack.calls("chat.postMessage") == []
