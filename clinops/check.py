"""`clinops check`: the state of the whole stack for an operator, one line per component.

Exit status 0 when everything configured answers, 1 when anything is down. `--service NAME`
checks one service's gRPC health at its own listen address (the container health check).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings

from clinops import rpc

TIMEOUT_SECONDS = 3.0


class StackSettings(BaseSettings):
    """What only the operator's check needs beyond the processes' own settings."""

    redis_url: str | None = Field(
        default=None, validation_alias="CLINOPS_REDIS_URL",
        description="Redis for events, the scheduler lock and dedupe keys (checked when set)")


@dataclass(frozen=True)
class Probe:
    """One component's state: `ok` None means not configured (not counted as down)."""

    component: str
    ok: bool | None
    detail: str

    def line(self) -> str:
        mark = {True: "ok  ", False: "DOWN", None: "--  "}[self.ok]
        return f"{mark} {self.component:<22} {self.detail}"


def probe_grpc_health(component: str, target: str, *,
                      credentials: grpc.ChannelCredentials | None = None,
                      timeout: float = TIMEOUT_SECONDS) -> Probe:
    """Ask grpc.health.v1 on `target`; SERVING is up, anything else (or no answer) is down."""
    try:
        with rpc.client_channel(target, credentials) as channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout)
    except grpc.RpcError as error:
        return Probe(component, False, f"{target}: {error.code().name} {error.details() or ''}")
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    return Probe(component, answer.status == health_pb2.HealthCheckResponse.SERVING,
                 f"{target}: {status}")


def probe_redis(url: str | None) -> Probe:
    if not url:
        return Probe("redis", None, "not configured (CLINOPS_REDIS_URL)")
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS,
                                      socket_connect_timeout=TIMEOUT_SECONDS)
        with client:
            client.ping()
    except redis.RedisError as error:
        return Probe("redis", False, f"{_safe_url(url)}: {type(error).__name__}")
    return Probe("redis", True, f"{_safe_url(url)}: PONG")


def probe_database(component: str, url: str) -> Probe:
    """Connect and SELECT 1; a SQLite file that is not there yet is down, never created here."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    file_based = parsed.get_backend_name() == "sqlite" and parsed.database not in (
        None, "", ":memory:")
    if file_based and not Path(parsed.database).is_file():
        return Probe(component, False, f"{parsed.database}: no such file")
    engine = create_engine(url, connect_args=_connect_timeout(parsed.get_backend_name()))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any driver error means "down" to an operator
        return Probe(component, False, f"{_safe_url(url)}: {type(error).__name__}")
    finally:
        engine.dispose()
    return Probe(component, True, f"{_safe_url(url)}: reachable")


def probe_slack(token: str | None, api_url: str) -> Probe:
    if not token:
        return Probe("slack", None, "not configured (SLACK_BOT_TOKEN)")
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackClientError

    try:
        answer = WebClient(token=token, base_url=api_url, timeout=int(TIMEOUT_SECONDS)).auth_test()
    except SlackApiError as error:
        return Probe("slack", False, f"auth.test: {error.response.get('error', 'error')}")
    except (SlackClientError, OSError) as error:
        return Probe("slack", False, f"auth.test: {type(error).__name__}")
    return Probe("slack", True, f"auth.test: team {answer.get('team', '?')}, "
                                f"bot {answer.get('user', '?')}")


def _connect_timeout(backend: str) -> dict:
    return {"connect_timeout": int(TIMEOUT_SECONDS)} if backend == "postgresql" else {}


def _safe_url(url: str) -> str:
    """The URL without its password: check output goes to logs and terminals."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not an SQLAlchemy URL (redis://): hide userinfo instead
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"


def local_target(address: str) -> str:
    """Where to reach a server listening on `address` from the same host (0.0.0.0 → localhost)."""
    host, _, port = address.rpartition(":")
    if host in ("0.0.0.0", "[::]", "", "*"):
        host = "localhost"
    return f"{host}:{port}"


def _service_settings(name: str):  # noqa: ANN202 - one of the three settings classes
    if name == "staffing":
        from services.staffing.config import StaffingSettings

        return StaffingSettings()
    if name == "supplies":
        from services.supplies.config import SuppliesSettings

        return SuppliesSettings()
    from services.training.config import TrainingSettings

    return TrainingSettings()


def check_service(name: str) -> list[Probe]:
    """One service's health at its own address, presenting its own TLS and token if it has them."""
    settings = _service_settings(name)
    credentials = None
    if settings.server_security() is not None:
        root = settings.tls_root_cert_file or settings.tls_cert_file
        credentials = rpc.channel_credentials(root_cert=root.read_bytes(), token=settings.token())
    return [probe_grpc_health(name, local_target(settings.address), credentials=credentials)]


def check_stack() -> list[Probe]:
    """Every component an operator cares about, as this environment configures them."""
    from bot.config import BotSettings

    try:
        bot = BotSettings()
        slack_token: str | None = bot.bot_token.get_secret_value()
    except ValidationError as error:
        if any(item.get("loc", ("",))[0] not in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
               for item in error.errors()):
            raise
        bot = BotSettings(SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="")
        slack_token = None
    credentials = bot.service_credentials()
    probes = [
        probe_grpc_health(name, target, credentials=credentials)
        for name, target in (("staffing", bot.staffing_target),
                             ("supplies", bot.supplies_target),
                             ("training", bot.training_target))
    ]
    for name in ("staffing", "supplies", "training"):
        probes.append(probe_database(f"{name} database", _service_settings(name).database_url))
    probes.append(probe_redis(StackSettings().redis_url))
    probes.append(probe_slack(slack_token, bot.slack_api_url))
    return probes


def main(argv: Sequence[str] | None = None, *, out: Callable[[str], None] = print) -> int:
    """Print one line per component; 1 if anything configured is down."""
    parser = argparse.ArgumentParser(prog="clinops check")
    parser.add_argument("--service", choices=("staffing", "supplies", "training"))
    args = parser.parse_args(argv)
    probes = check_service(args.service) if args.service else check_stack()
    for probe in probes:
        out(probe.line())
    down = [probe.component for probe in probes if probe.ok is False]
    out(f"DOWN: {', '.join(down)}" if down else "all configured components answer")
    return 1 if down else 0
