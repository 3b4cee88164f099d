"""About one message per second per channel, the pace Slack asks of chat.postMessage."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# https://api.slack.com/methods/chat.postMessage: "1 per second per channel, short bursts allowed"
DEFAULT_SECONDS_PER_POST = 1.0


class ChannelPacer:
    """Waits before a post until `seconds_per_post` passed since the last one to that channel."""

    def __init__(self, seconds_per_post: float = DEFAULT_SECONDS_PER_POST, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.seconds_per_post, self.monotonic, self.sleep = seconds_per_post, monotonic, sleep
        self._next_at: dict[str, float] = {}

    async def wait(self, channel: str) -> None:
        """Return when a post to `channel` may go out, and book the next slot."""
        if self.seconds_per_post <= 0:
            return
        now = self.monotonic()
        due = self._next_at.get(channel, now)
        if due > now:
            await self.sleep(due - now)
            now = self.monotonic()
        self._next_at[channel] = max(now, due) + self.seconds_per_post
