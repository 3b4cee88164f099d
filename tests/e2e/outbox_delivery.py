"""Delivering a service's outbox in end-to-end tests: relay → in-process stream → the bot's
notifier → the Slack stand-in, as the relay thread and `clinops notifier` do with Redis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from bot.clients import StaffingClient, SuppliesClient
from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from bot.notifier.recording import ServiceRecorder
from bot.notifier.stream import InProcessEventStream
from clinops.clock import fixed_clock
from clinops.outbox import InProcessStream, OutboxRelay


class Announcer:
    """One service's outbox delivered by one notifier, kept across deliveries (its posted
    records answer a later award in the thread of the post it made), recording posts back
    through the given service clients."""

    def __init__(self, engine: Engine, relay: Callable[..., OutboxRelay], *, slack_url: str,
                 now: datetime, staffing: StaffingClient | None = None,
                 supplies: SuppliesClient | None = None) -> None:
        self.stream = InProcessStream()
        self.relay = relay(engine, publisher=self.stream, clock=fixed_clock(now))
        slack = AsyncWebClient(token="xoxb-e2e", base_url=slack_url)
        self.notifier = Notifier(
            stream=InProcessEventStream(self.stream), consumer="e2e", client=slack,
            pacer=ChannelPacer(0),
            recorder=ServiceRecorder(staffing=staffing, supplies=supplies, slack=slack))

    async def deliver(self) -> None:
        self.relay.publish_pending()
        for _ in range(10):  # a round delivers up to a batch
            if not await self.notifier.run_once():
                break


async def deliver_outbox(engine: Engine, relay: Callable[..., OutboxRelay], *, slack_url: str,
                         now: datetime, staffing: StaffingClient | None = None,
                         supplies: SuppliesClient | None = None) -> None:
    """Publish what waits in the outbox behind `engine` and announce it (bounded rounds)."""
    await Announcer(engine, relay, slack_url=slack_url, now=now, staffing=staffing,
                    supplies=supplies).deliver()
