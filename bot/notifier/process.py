"""`clinops notifier`: the event stream → Slack, as its own process (run one or several)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.notifier.notifier import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RECLAIM_IDLE_MS,
    Notifier,
    consumer_name,
)
from bot.notifier.pacing import DEFAULT_SECONDS_PER_POST, ChannelPacer
from bot.notifier.stream import RedisEventStream

logger = logging.getLogger("clinops.notifier")


class NotifierSettings(BaseSettings):
    """The stream (CLINOPS_REDIS_URL, as every other process) and the delivery policy."""

    model_config = SettingsConfigDict(env_prefix="CLINOPS_NOTIFIER_", populate_by_name=True,
                                      extra="ignore")

    redis_url: str = Field(default="redis://127.0.0.1:6379/0",
                           validation_alias="CLINOPS_REDIS_URL")
    seconds_per_post: float = Field(default=DEFAULT_SECONDS_PER_POST, ge=0)
    max_attempts: int = Field(default=DEFAULT_MAX_ATTEMPTS, ge=1)
    # How long an unacknowledged entry of a dead consumer waits before a live one takes it over.
    reclaim_idle_ms: int = Field(default=DEFAULT_RECLAIM_IDLE_MS, ge=0)


async def serve(settings: NotifierSettings, *, stop: asyncio.Event | None = None) -> None:
    """Deliver events until `stop` is set (or SIGTERM/SIGINT)."""
    from bot.app import web_client
    from bot.clients import ServiceClients
    from bot.config import BotSettings
    from bot.notifier.recording import ServiceRecorder

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Not the main thread (tests): the caller's `stop` ends the loop instead.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    stream = RedisEventStream.from_url(settings.redis_url)
    bot = BotSettings()
    slack = web_client(bot)
    # Posts a service must know of (open shifts, proposals, reminders sent) are recorded here.
    clients = ServiceClients.from_settings(bot)
    recorder = ServiceRecorder(staffing=clients.staffing, supplies=clients.supplies, slack=slack,
                               training=clients.training)
    notifier = Notifier(stream=stream, client=slack, consumer=consumer_name(),
                        pacer=ChannelPacer(settings.seconds_per_post),
                        max_attempts=settings.max_attempts,
                        reclaim_idle_ms=settings.reclaim_idle_ms, recorder=recorder)
    logger.info("notifier %s reading the event stream", notifier.consumer)
    try:
        await notifier.run(stop)
    finally:
        await clients.close()
        await stream.close()


def run(settings: NotifierSettings) -> None:
    asyncio.run(serve(settings))
