"""The scheduler presents TLS + the service token like the bot, refuses off-box targets without
them, and answers GET /readyz with Redis, Slack and each service it asks."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import grpc
import pytest
import redis
from pydantic import ValidationError
from slack_sdk import WebClient

from bot.scheduler.config import SchedulerSettings
from bot.scheduler.links import TrainingLink
from bot.scheduler.readiness import ReadinessServer, readiness
from clinops import rpc
from clinops.slack_standin import SlackStandIn
from tests.deploy.certs import SelfSigned, self_signed
from tests.deploy.test_offbox_security import TOKEN, secured_training  # noqa: F401 - fixture

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def certificate(tmp_path: Path) -> SelfSigned:
    return self_signed(tmp_path / "tls")


def _settings(**values: object) -> SchedulerSettings:
    return SchedulerSettings(bot_token="xoxb-scheduler", **values)


def test_the_scheduler_presents_tls_and_the_token_and_gets_training_answering(
        secured_training, certificate, tmp_path: Path) -> None:  # noqa: F811
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    settings = _settings(training_target=f"localhost:{secured_training}",
                         tls_root_cert_file=certificate.cert_file, service_token_file=token_file)

    with rpc.client_channel(settings.training_target, settings.service_credentials()) as channel:
        expiring = TrainingLink(channel, deadline_seconds=5).list_expiring(
            on=date(2026, 11, 2), since=None)

    assert expiring == []


def test_a_scheduler_without_the_token_is_refused(secured_training, certificate) -> None:  # noqa: F811
    credentials = rpc.channel_credentials(root_cert=certificate.pem, token="wrong")
    with rpc.client_channel(f"localhost:{secured_training}", credentials) as channel, \
            pytest.raises(grpc.RpcError) as refused:
        TrainingLink(channel, deadline_seconds=5).list_expiring(on=date(2026, 11, 2), since=None)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_an_off_box_target_without_tls_and_a_token_stops_the_scheduler_naming_them() -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(training_target="training:50053")
    message = str(refused.value)
    assert "CLINOPS_TRAINING_TARGET not loopback" in message
    assert "CLINOPS_TLS_ROOT_CERT_FILE" in message and "CLINOPS_SERVICE_TOKEN" in message


def test_on_loopback_the_scheduler_speaks_plaintext() -> None:
    assert _settings().service_credentials() is None


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id="T0READY") as standin:
        yield standin


def _get(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _serve(slack: SlackStandIn, channels: dict[str, grpc.Channel]) -> ReadinessServer:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    web = WebClient(token="xoxb-scheduler", base_url=slack.base_url, timeout=2)
    return ReadinessServer(lambda: readiness(redis_client=client, slack=web, channels=channels,
                                             leading=lambda: False),
                           port=0, address="127.0.0.1").start()


def test_readyz_is_200_when_redis_slack_and_the_services_answer(slack) -> None:
    server, port, _health = rpc.create_server(register=[], service_names=[])
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    probe = _serve(slack, {"staffing": channel, "training": channel})
    try:
        status, body = _get(probe.port)
    finally:
        probe.close()
        channel.close()
        assert server.stop(None).wait(), "the service stand-in did not stop"
    assert status == 200
    assert body["ready"] is True
    assert body["checks"]["redis"] == {"ok": True, "leading": False}  # a standby is ready
    assert body["checks"]["training"]["status"] == "SERVING"


def test_readyz_is_503_naming_the_service_that_does_not_answer(slack) -> None:
    down = grpc.insecure_channel("127.0.0.1:1")
    probe = _serve(slack, {"training": down})
    try:
        status, body = _get(probe.port)
    finally:
        probe.close()
        down.close()
    assert status == 503
    assert body["checks"]["training"] == {"ok": False, "status": "UNAVAILABLE"}
    assert body["checks"]["slack"]["ok"] is True


def test_serving_probing_readiness_and_stopping_twenty_times_never_hangs(slack) -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    web = WebClient(token="xoxb-scheduler", base_url=slack.base_url, timeout=2)
    try:
        for _ in range(20):
            server, port, _health = rpc.create_server(register=[], service_names=[])
            server.start()
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                checks = readiness(redis_client=client, slack=web,
                                   channels={"training": channel}, leading=lambda: False)
            # No timeout given: the stop's own bound keeps this teardown from hanging.
            assert server.stop(None).wait(), "the service stand-in did not stop"
            assert checks["training"] == {"ok": True, "status": "SERVING"}
    finally:
        client.close()
