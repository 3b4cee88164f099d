"""The bot's HTTP listener and the scheduler's /readyz bind loopback unless a setting says more."""

from __future__ import annotations

import asyncio
import socket

import pytest

from bot.config import BotSettings
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.readiness import ReadinessServer
from bot.server import serve
from clinops.slack_standin import SlackStandIn
from tests.faults.fault_fixtures import free_port


def this_machines_other_address() -> str:
    """An address of this machine that is not loopback (the route out; nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))
        except OSError:
            pytest.skip("this machine has no address beyond loopback")
        address = probe.getsockname()[0]
    if address.startswith("127."):
        pytest.skip("this machine has no address beyond loopback")
    return address


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


async def _reachable_while_serving(settings: BotSettings, elsewhere: str) -> tuple[bool, bool]:
    """(on loopback, at `elsewhere`) while `clinops bot`'s serve() runs with `settings`."""
    serving = asyncio.create_task(serve(settings))
    try:
        async with asyncio.timeout(10):
            while not await asyncio.to_thread(reachable, "127.0.0.1", settings.port):
                assert not serving.done(), serving
                await asyncio.sleep(0.02)
        return True, await asyncio.to_thread(reachable, elsewhere, settings.port)
    finally:
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(10):
                await serving


@pytest.fixture
def bot_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLINOPS_BOT_HOST", "SLACK_APP_TOKEN", "CLINOPS_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)


async def test_the_bot_in_http_mode_is_reachable_only_on_loopback_unless_its_host_is_set(
    bot_environment: None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = this_machines_other_address()
    with SlackStandIn() as slack:
        settings = BotSettings(bot_token="xoxb-edge", signing_secret="edge-secret",
                               slack_api_url=slack.base_url, port=free_port())
        assert settings.host == "127.0.0.1"
        assert await _reachable_while_serving(settings, elsewhere) == (True, False)

        # What docker-compose.yml sets for the bot, whose published port must reach it.
        monkeypatch.setenv("CLINOPS_BOT_HOST", "0.0.0.0")
        settings = BotSettings(bot_token="xoxb-edge", signing_secret="edge-secret",
                               slack_api_url=slack.base_url, port=free_port())
        assert await _reachable_while_serving(settings, elsewhere) == (True, True)


def test_the_schedulers_readiness_server_binds_loopback_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CLINOPS_SCHEDULER_HOST", raising=False)
    elsewhere = this_machines_other_address()
    assert SchedulerSettings(bot_token="xoxb-edge").host == "127.0.0.1"
    probe = ReadinessServer(lambda: {}, port=0).start()
    try:
        assert reachable("127.0.0.1", probe.port)
        assert not reachable(elsewhere, probe.port)
    finally:
        probe.close()
