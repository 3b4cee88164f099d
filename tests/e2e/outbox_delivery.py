"""Delivering a service's outbox in end-to-end tests: relay → in-process stream → the bot's
notifier → the Slack stand-in, as the relay thread and `clinops notifier` do with Redis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from bot.notifier.stream import InProcessEventStream
from clinops.clock import fixed_clock
from clinops.outbox import InProcessStream, OutboxRelay


async def deliver_outbox(engine: Engine, relay: Callable[..., OutboxRelay], *, slack_url: str,
                         now: datetime) -> None:
    """Publish what waits in the outbox behind `engine` and announce it (bounded rounds)."""
    stream = InProcessStream()
    relay(engine, publisher=stream, clock=fixed_clock(now)).publish_pending()
    notifier = Notifier(stream=InProcessEventStream(stream), consumer="e2e",
                        client=AsyncWebClient(token="xoxb-e2e", base_url=slack_url),
                        pacer=ChannelPacer(0))
    for _ in range(10):  # a round delivers up to a batch
        if not await notifier.run_once():
            break
