"""`clinops bot`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP at POST /slack/events."""

import asyncio
import logging

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings

logger = logging.getLogger("clinops.bot")


def http_app(bolt_app: AsyncApp) -> Starlette:
    """The ASGI app Slack posts to: POST /slack/events, nothing else."""
    handler = AsyncSlackRequestHandler(bolt_app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", endpoint=events, methods=["POST"])])


async def serve(settings: BotSettings) -> None:
    """Open the service channels inside this loop, then serve until cancelled."""
    clients = ServiceClients.from_settings(settings)
    bolt_app = create_app(settings, clients)
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            assert settings.app_token is not None
            logger.info("Socket Mode")
            handler = AsyncSocketModeHandler(bolt_app, settings.app_token.get_secret_value())
            await handler.start_async()
        else:
            logger.info("HTTP on port %d at /slack/events", settings.port)
            config = uvicorn.Config(
                http_app(bolt_app), host="0.0.0.0", port=settings.port, log_level="info"
            )
            await uvicorn.Server(config).serve()
    finally:
        await clients.close()


def run(settings: BotSettings) -> None:
    """Blocking entry point for `clinops bot`."""
    asyncio.run(serve(settings))
