"""The HTTP server under test, in its own process: ClinOps' bot or one of its two ceilings.

Variants, all an AsyncApp (process_before_response, signature verification on) behind the same
Starlette route and uvicorn as `bot.server.serve` (loop and HTTP parser "auto": uvloop and
httptools when installed, as in production):
  clinops  — `bot.app.create_app`, the real bot (/shift-gap → GetShiftGaps → reply at response_url)
  ack      — ceiling (a): a /shift-gap listener that only acks
  grpc     — ceiling (b): a /shift-gap listener that makes one gRPC health Check, then acks
Run: `python -m bench.bot_server VARIANT SIGNING_SECRET SLACK_API_URL STAFFING_TARGET`; prints
`PORT n` once serving, then `LOOP x HTTP y`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading

import grpc
import uvicorn
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.app import create_app, web_client
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.dedupe import InProcessDedupe
from bot.server import http_app

VARIANTS = ("clinops", "ack", "grpc")


def _settings(signing_secret: str, slack_api_url: str, staffing_target: str) -> BotSettings:
    return BotSettings(bot_token="xoxb-bench", signing_secret=signing_secret,
                       slack_api_url=slack_api_url, staffing_target=staffing_target,
                       supplies_target=staffing_target, training_target=staffing_target,
                       rpc_deadline_seconds=2.0)


def _bare_app(settings: BotSettings) -> AsyncApp:
    return AsyncApp(client=web_client(settings),
                    signing_secret=settings.signing_secret.get_secret_value(),
                    process_before_response=True, request_verification_enabled=True)


def build(variant: str, settings: BotSettings) -> tuple[AsyncApp, ServiceClients | None]:
    """The Bolt app of one variant (channels opened here: call inside the running loop)."""
    if variant == "clinops":
        clients = ServiceClients.from_settings(settings)
        return create_app(settings, clients, dedupe=InProcessDedupe()), clients
    app = _bare_app(settings)
    if variant == "ack":
        @app.command("/shift-gap")
        async def ack_only(ack: AsyncAck) -> None:
            await ack()

        return app, None
    if variant == "grpc":
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        channel = grpc.aio.insecure_channel(settings.staffing_target)
        health = health_pb2_grpc.HealthStub(channel)

        @app.command("/shift-gap")
        async def one_rpc(ack: AsyncAck) -> None:
            await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2.0)
            await ack()

        return app, None
    raise SystemExit(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")


async def serve(variant: str, signing_secret: str, slack_api_url: str,
                staffing_target: str) -> None:
    settings = _settings(signing_secret, slack_api_url, staffing_target)
    bolt_app, clients = build(variant, settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # The same uvicorn settings as bot.server.serve (no access log), for ClinOps and ceilings.
    config = uvicorn.Config(http_app(bolt_app, clients), log_level="info", access_log=False,
                            lifespan="off", backlog=2048)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    print(f"LOOP {type(asyncio.get_running_loop()).__module__} "
          f"HTTP {config.http_protocol_class.__module__}", flush=True)
    await serving


def _exit_at_end_of_input() -> None:
    sys.stdin.read()
    os._exit(0)


def main() -> None:
    threading.Thread(target=_exit_at_end_of_input, daemon=True).start()
    variant, signing_secret, slack_api_url, staffing_target = sys.argv[1:5]
    # uvicorn's loop="auto" picks uvloop when installed; serving our own sockets, we pick it here.
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(variant, signing_secret, slack_api_url, staffing_target))
    else:
        uvloop.run(serve(variant, signing_secret, slack_api_url, staffing_target))


if __name__ == "__main__":
    main()
