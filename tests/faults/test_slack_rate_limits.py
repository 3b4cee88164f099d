"""Slack answering 429 and 500: each direct post arrives exactly once, in order per channel.

The bot's own Web API client (`bot.app.web_client`, slack_sdk retry handlers) against the
stand-in; the notifier's paced path is tested with the events (tests/events).
"""

from __future__ import annotations

import time

from bot.app import web_client
from bot.config import BotSettings
from clinops.slack_standin import SlackStandIn


def settings(slack: SlackStandIn) -> BotSettings:
    return BotSettings(bot_token="xoxb-faults", signing_secret="faults",
                       slack_api_url=slack.base_url)


def delivered(slack: SlackStandIn) -> list[tuple[str, str]]:
    """(channel, text) of every post Slack accepted, in arrival order (refusals left out)."""
    return [(call.body["channel"], call.body["text"]) for call in slack.calls("chat.postMessage")
            if call.answer and call.answer.get("ok")]


async def test_a_post_refused_with_429_is_sent_once_after_retry_after() -> None:
    with SlackStandIn() as slack:
        client = web_client(settings(slack))
        slack.fail_next("chat.postMessage", 1, status=429, retry_after=1)
        started = time.monotonic()
        await client.chat_postMessage(channel="C_ICU", text="ICU day shift: 2 RNs short")
        assert time.monotonic() - started >= 1  # Retry-After honoured, not hammered
        assert delivered(slack) == [("C_ICU", "ICU day shift: 2 RNs short")]


async def test_posts_through_500s_and_429s_arrive_exactly_once_in_order_per_channel() -> None:
    with SlackStandIn() as slack:
        client = web_client(settings(slack))
        wanted = [(channel, f"{channel} update {n}") for n in range(3)
                  for channel in ("C_ICU", "C_4W")]
        for index, (channel, text) in enumerate(wanted):
            if index % 2 == 0:
                slack.fail_next("chat.postMessage", 1, status=500)
            if index == 3:
                slack.fail_next("chat.postMessage", 1, status=429, retry_after=0)
            await client.chat_postMessage(channel=channel, text=text)
        got = delivered(slack)
        assert sorted(got) == sorted(wanted) and len(got) == len(set(got))
        for channel in ("C_ICU", "C_4W"):
            assert [t for c, t in got if c == channel] == [t for c, t in wanted if c == channel]
        refused = [c for c in slack.calls("chat.postMessage") if c.name.startswith("fault")]
        assert len(refused) == 4  # every failure was really answered, then retried once
