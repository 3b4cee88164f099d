"""Replies at a Slack response_url through one shared aiohttp session, not one per reply.

Bolt's own `respond()` builds a new `AsyncWebhookClient` (a new aiohttp `ClientSession` and a
new TCP connection) for every reply; under load that connect is a large share of the bot's CPU.
`SharedReplies` keeps one session (created inside the running loop on first use, closed at
shutdown) and hands each request an `AsyncRespond` that posts through it; what is posted, the
retries and the answer returned are Bolt's and slack_sdk's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

# AsyncWebhookClient's own default: a reply that takes longer has failed.
REPLY_TIMEOUT_SECONDS = 30


class SharedReplies:
    """One aiohttp session for every reply this bot posts at a response_url."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __deepcopy__(self, memo: dict) -> SharedReplies:
        # Bolt deep-copies a request for its lazy listeners; the session stays the one shared.
        return self

    def session(self) -> aiohttp.ClientSession:
        """The shared session, (re)opened inside the running loop when closed or loop-foreign."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT_SECONDS))
            self._loop = loop
        return self._session

    def respond_for(self, context: AsyncBoltContext) -> SharedRespond:
        """This request's `respond`, as Bolt would build it, posting through the shared session."""
        return SharedRespond(response_url=context.response_url, proxy=context.client.proxy,
                             ssl=context.client.ssl, replies=self)

    async def close(self) -> None:
        """Close the session (at shutdown); a later reply would open a new one."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class SharedRespond(AsyncRespond):
    """Bolt's `respond()`, posting through `SharedReplies`' session."""

    def __init__(self, *, response_url: str | None, proxy: str | None = None,
                 ssl: Any = None, replies: SharedReplies) -> None:
        super().__init__(response_url=response_url, proxy=proxy, ssl=ssl)
        self._replies = replies

    async def __call__(self, text: str | dict = "", blocks: Any = None, attachments: Any = None,
                       response_type: str | None = None, replace_original: bool | None = None,
                       delete_original: bool | None = None, unfurl_links: bool | None = None,
                       unfurl_media: bool | None = None, thread_ts: str | None = None,
                       metadata: dict[str, Any] | None = None) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        client = AsyncWebhookClient(url=self.response_url, proxy=self.proxy, ssl=self.ssl,
                                    session=self._replies.session())
        if isinstance(text, str):
            message = _build_message(
                text=text, blocks=blocks, attachments=attachments, response_type=response_type,
                replace_original=replace_original, delete_original=delete_original,
                unfurl_links=unfurl_links, unfurl_media=unfurl_media, thread_ts=thread_ts,
                metadata=metadata)
        elif isinstance(text, dict):
            message = _build_message(**text)
        else:
            raise ValueError(f"The arg is unexpected type ({type(text)})")
        return await client.send_dict(message)
