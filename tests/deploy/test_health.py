"""Operators see the state of the stack: service health on shutdown, bot /readyz, clinops check."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import grpc
import pytest
import uvicorn
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.server import http_app
from clinops import rpc
from clinops.check import main as check_main
from clinops.slack_standin import SlackStandIn

SERVICES = ("staffing", "supplies", "training")


@pytest.fixture
def health_servers() -> Iterator[dict[str, tuple[int, object]]]:
    """Three real gRPC servers on port 0 speaking grpc.health.v1, standing in for the services."""
    servers = {}
    for name in SERVICES:
        server, port, health = rpc.create_server(register=[], service_names=[])
        server.start()
        servers[name] = (port, health, server)
    yield {name: (port, health) for name, (port, health, _) in servers.items()}
    for _, _, server in servers.values():
        server.stop(None).wait(5)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id="T0READY") as standin:
        yield standin


@pytest.fixture
async def readyz(health_servers, slack) -> AsyncIterator[str]:
    settings = BotSettings(
        bot_token="xoxb-ready", signing_secret="secret", slack_api_url=slack.base_url,
        **{f"{name}_target": f"127.0.0.1:{port}" for name, (port, _) in health_servers.items()})
    clients = ServiceClients.from_settings(settings)
    app = create_app(settings, clients)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(http_app(app, clients), log_level="warning",
                                           lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/readyz"
    server.should_exit = True
    async with asyncio.timeout(10):
        await serving
    sock.close()
    await clients.close()


async def _get(url: str) -> tuple[int, dict]:
    async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
                session.get(url) as response):
        return response.status, await response.json()


async def test_the_bot_is_ready_when_slack_and_every_service_answer(readyz, slack) -> None:
    status, body = await _get(readyz)
    assert status == 200
    assert body["ready"] is True
    assert set(body["checks"]) == {"slack", *SERVICES}
    assert slack.calls("auth.test")


async def test_the_bot_is_not_ready_while_a_service_drains_and_says_which(
    readyz, health_servers
) -> None:
    _, training_health = health_servers["training"]
    training_health.enter_graceful_shutdown()
    status, body = await _get(readyz)
    assert status == 503
    assert body["checks"]["training"] == {"ok": False, "status": "NOT_SERVING"}
    assert body["checks"]["staffing"]["ok"] is True


async def test_the_bot_is_not_ready_when_slack_refuses_its_token(readyz, slack) -> None:
    # More failures than the bot's retry handler retries: Slack is really down.
    slack.fail_next("auth.test", count=5, status=500)
    status, body = await _get(readyz)
    assert status == 503
    assert body["checks"]["slack"]["ok"] is False


def _stack_env(monkeypatch, health_servers, slack, tmp_path: Path) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-check")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    for name, (port, _) in health_servers.items():
        monkeypatch.setenv(f"CLINOPS_{name.upper()}_TARGET", f"127.0.0.1:{port}")
        database = tmp_path / f"{name}.db"
        database.touch()
        monkeypatch.setenv(f"CLINOPS_{name.upper()}_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("CLINOPS_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_clinops_check_reports_every_component_and_exits_zero_when_all_answer(
    monkeypatch, health_servers, slack, tmp_path
) -> None:
    _stack_env(monkeypatch, health_servers, slack, tmp_path)
    lines: list[str] = []
    assert check_main([], out=lines.append) == 0
    report = "\n".join(lines)
    for component in (*SERVICES, "staffing database", "redis", "slack"):
        assert any(line.startswith("ok") and component in line for line in lines), report
    assert lines[-1] == "all configured components answer"
    assert "xoxb-check" not in report


def test_clinops_check_names_what_is_down_and_exits_one(
    monkeypatch, health_servers, slack, tmp_path
) -> None:
    _stack_env(monkeypatch, health_servers, slack, tmp_path)
    monkeypatch.setenv("CLINOPS_SUPPLIES_TARGET", "127.0.0.1:1")
    monkeypatch.setenv("CLINOPS_TRAINING_DATABASE_URL",
                       "postgresql+psycopg://clinops:hunter2@127.0.0.1:1/training")
    lines: list[str] = []
    assert check_main([], out=lines.append) == 1
    assert lines[-1] == "DOWN: supplies, training database"
    assert "hunter2" not in "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_service_reports_not_serving_to_watchers_when_told_to_stop(tmp_path) -> None:
    port = _free_port()
    env = {**os.environ, "CLINOPS_TRAINING_ADDRESS": f"127.0.0.1:{port}",
           "CLINOPS_TRAINING_DATABASE_URL": f"sqlite:///{tmp_path / 'training.db'}"}
    process = subprocess.Popen([sys.executable, "-m", "clinops.cli", "serve", "training"],
                               env=env, stderr=subprocess.PIPE, text=True)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            watch = health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(service=""), timeout=30)
            assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
            process.send_signal(signal.SIGTERM)
            assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_clinops_check_service_answers_for_one_service_at_its_own_address(
    monkeypatch, health_servers
) -> None:
    port, _ = health_servers["supplies"]
    monkeypatch.setenv("CLINOPS_SUPPLIES_ADDRESS", f"127.0.0.1:{port}")
    lines: list[str] = []
    started = time.monotonic()
    assert check_main(["--service", "supplies"], out=lines.append) == 0
    assert lines[0].startswith("ok") and "SERVING" in lines[0]
    assert time.monotonic() - started < 10
