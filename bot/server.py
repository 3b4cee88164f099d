"""`clinops bot`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP at POST /slack/events."""

import asyncio
import logging

import grpc
import uvicorn
from slack_bolt.adapter.starlette.async_handler import (
    to_async_bolt_request,
    to_starlette_response,
)
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.verification import SOURCE_ADDRESS, TIMESTAMP_HEADER, log_refusal
from clinops import logs, metrics

logger = logging.getLogger("clinops.bot")


READY_TIMEOUT_SECONDS = 2.0


async def readiness(bolt_app: AsyncApp, clients: ServiceClients,
                    redis_url: str | None = None) -> dict[str, dict[str, object]]:
    """Slack (auth.test), Redis if configured, and each service's gRPC health, probed now."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    checks: dict[str, dict[str, object]] = {}
    try:
        answer = await asyncio.wait_for(bolt_app.client.auth_test(), READY_TIMEOUT_SECONDS)
        checks["slack"] = {"ok": bool(answer.get("ok")), "team": answer.get("team", "")}
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", named below
        checks["slack"] = {"ok": False, "error": type(error).__name__}
    for name, channel in zip(("staffing", "supplies", "training"), clients.channels, strict=False):
        try:
            answer = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=READY_TIMEOUT_SECONDS)
            status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
            checks[name] = {"ok": status == "SERVING", "status": status}
        except grpc.aio.AioRpcError as error:
            checks[name] = {"ok": False, "status": error.code().name}
    if redis_url:
        import redis.asyncio as redis

        client = redis.Redis.from_url(redis_url, socket_timeout=READY_TIMEOUT_SECONDS,
                                      socket_connect_timeout=READY_TIMEOUT_SECONDS)
        try:
            checks["redis"] = {"ok": bool(await client.ping())}
        except redis.RedisError as error:
            checks["redis"] = {"ok": False, "error": type(error).__name__}
        finally:
            await client.aclose()
    return checks


def readyz_route(bolt_app: AsyncApp, clients: ServiceClients | None,
                 redis_url: str | None = None) -> Route:
    """GET /readyz: 200 when Slack, Redis and every service answer, else 503 saying which not."""

    async def readyz(_request: Request) -> Response:
        if clients is None:
            return JSONResponse({"ready": False, "checks": {}}, status_code=503)
        checks = await readiness(bolt_app, clients, redis_url)
        ready = all(check["ok"] for check in checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    return Route("/readyz", endpoint=readyz, methods=["GET"])


def http_app(bolt_app: AsyncApp, clients: ServiceClients | None = None,
             redis_url: str | None = None) -> Starlette:
    """The ASGI app Slack posts to (POST /slack/events) and the readiness probe (GET /readyz).

    The Bolt app verifies Slack's signature first of all (bot/verification.py); the sender's
    address rides along in its context for the log line of a refusal.
    """

    async def events(request: Request) -> Response:
        body = await request.body()
        source = request.client.host if request.client is not None else None
        try:
            bolt_request = to_async_bolt_request(request, body, {SOURCE_ADDRESS: source})
        except ValueError:
            # Bolt parses the body before its middleware runs: a body that is not UTF-8 form or
            # JSON (UnicodeDecodeError, JSONDecodeError) was never signed by Slack.
            log_refusal(request.headers.get(TIMESTAMP_HEADER), source, why="unreadable, not sent")
            return Response(status_code=401)
        return to_starlette_response(await bolt_app.async_dispatch(bolt_request))

    return Starlette(routes=[Route("/slack/events", endpoint=events, methods=["POST"]),
                             readyz_route(bolt_app, clients, redis_url)])


def readiness_app(bolt_app: AsyncApp, clients: ServiceClients,
                  redis_url: str | None = None) -> Starlette:
    """Socket Mode has no HTTP server of its own: this small one serves only GET /readyz."""
    return Starlette(routes=[readyz_route(bolt_app, clients, redis_url)])


async def serve(settings: BotSettings) -> None:
    """Open the service channels inside this loop, then serve until cancelled."""
    clients = ServiceClients.from_settings(settings)
    bolt_app = create_app(settings, clients)
    from clinops.check import StackSettings

    redis_url = StackSettings().redis_url
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            assert settings.app_token is not None
            logger.info("Socket Mode")
            handler = AsyncSocketModeHandler(bolt_app, settings.app_token.get_secret_value())
            probe = uvicorn.Server(uvicorn.Config(
                readiness_app(bolt_app, clients, redis_url), host=settings.host, port=settings.port,
                log_level="warning"))
            await asyncio.gather(handler.start_async(), probe.serve())
        else:
            logger.info("HTTP on %s port %d at /slack/events", settings.host, settings.port)
            # No access log: every request is /slack/events, the JSON logs already carry each
            # command with its correlation id, and the plain-text line cost ~16 % of the bot's
            # CPU per request in bench/ (BENCHMARKS.md).
            config = uvicorn.Config(
                http_app(bolt_app, clients, redis_url), host=settings.host, port=settings.port,
                log_level="info", access_log=False,
            )
            await uvicorn.Server(config).serve()
    finally:
        await clients.close()


def run(settings: BotSettings) -> None:
    """Blocking entry point for `clinops bot`."""
    logs.configure(service="bot")
    metrics.serve_metrics()
    asyncio.run(serve(settings))
