"""Real processes to break: services, a private PostgreSQL and Redis, the bot over HTTP.

Nothing here touches the machine's shared PostgreSQL or Redis: each fault gets its own server
on a port the OS chose, in a temporary folder, stopped and removed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import grpc
import uvicorn
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.dedupe import Dedupe
from bot.server import http_app
from clinops.console import SlackUser, signed_headers, slash_command_body
from clinops.slack_standin import SlackStandIn

HOST = "127.0.0.1"
SIGNING_SECRET = "faults-signing-secret"
ROOT = Path(__file__).resolve().parents[2]
CLINOPS = str(Path(sys.executable).with_name("clinops"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll `check` until it is true; fail naming `what` after `seconds` (bounded, never open)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def serving(port: int) -> bool:
    with grpc.insecure_channel(f"{HOST}:{port}") as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=0.5)
        except grpc.RpcError:
            return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


@dataclass
class ServiceProcess:
    """`clinops serve <service>` in a subprocess of its own, on a free port."""

    service: str
    database_url: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def target(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> ServiceProcess:
        prefix = f"CLINOPS_{self.service.upper()}_"
        env = {**os.environ, f"{prefix}DATABASE_URL": self.database_url,
               f"{prefix}ADDRESS": self.target, **self.env}
        self.process = subprocess.Popen(
            [CLINOPS, "serve", self.service], cwd=ROOT, env=env,
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        wait_until(lambda: serving(self.port), seconds=20, what=f"{self.service} serving")
        return self

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye, as a crash or the OOM killer would do it."""
        assert self.process is not None
        stop_process(self.process)

    def freeze(self) -> None:
        """SIGSTOP: the process holds its port but answers nothing (a hung service)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root (scripts/with_test_services.py does the same).
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _postgres_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    import glob

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    assert candidates, f"PostgreSQL's {name} is needed for the restart fault"
    return candidates[0]


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own, which the test may stop and start at will."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.data = workdir / "pgdata"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([_postgres_binary("pg_ctl"), "-D", str(self.data), *args]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)

    def init(self) -> PrivatePostgres:
        self.data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
            shutil.chown(self.data, "postgres")
        subprocess.run(_as_postgres([_postgres_binary("initdb"), "-D", str(self.data),
                                     "-U", "postgres", "--auth=trust", "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL, timeout=120)
        return self

    def start(self) -> None:
        self._ctl("-l", str(self.workdir / "pg.log"), "-o",
                  f"-p {self.port} -k {self.workdir} -c listen_addresses={HOST} -c fsync=off",
                  "-w", "start")
        wait_until(lambda: answers(self.port), seconds=30, what="private PostgreSQL up")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self._ctl("-m", "fast", "-w", "restart", "-o",
                  f"-p {self.port} -k {self.workdir} -c listen_addresses={HOST} -c fsync=off")
        wait_until(lambda: answers(self.port), seconds=30, what="private PostgreSQL back")


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A fresh cluster in a folder the postgres user can reach (pytest's tmp_path is 0700)."""
    workdir = Path(tempfile.mkdtemp(prefix="clinops-faults-pg-"))
    os.chmod(workdir, 0o755)
    postgres = PrivatePostgres(workdir).init()
    try:
        postgres.start()
        yield postgres
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


class PrivateRedis:
    """A redis-server of this test's own on a free port, which the test may stop and start."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        redis = shutil.which("redis-server")
        assert redis, "redis-server is needed for the Redis fault"
        self.process = subprocess.Popen(
            [redis, "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL)
        wait_until(lambda: answers(self.port), seconds=10, what="private Redis up")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
        wait_until(lambda: not answers(self.port), seconds=5, what="private Redis down")


@dataclass
class ServedBot:
    """The Bolt app over real HTTP on a free port, talking to the Slack stand-in."""

    url: str
    slack: SlackStandIn
    session: aiohttp.ClientSession
    sequence: int = 0

    async def post(self, body: str) -> int:
        headers = signed_headers(body, SIGNING_SECRET, int(time.time()))
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status

    async def command(self, user: SlackUser, command: str, text: str) -> tuple[int, str]:
        """A signed slash command; returns the HTTP status and the response_url name to wait on."""
        self.sequence += 1
        name = f"cmd-{self.sequence}"
        body = slash_command_body(user=user, command=command, text=text,
                                  response_url=self.slack.response_url(name))
        return await self.post(body), name


@contextlib.asynccontextmanager
async def served_bot(slack: SlackStandIn, *, staffing: str = f"{HOST}:1",
                     supplies: str = f"{HOST}:1", training: str = f"{HOST}:1",
                     dedupe: Dedupe | None = None,
                     deadline_seconds: float = 2.0) -> AsyncIterator[ServedBot]:
    settings = BotSettings(
        bot_token="xoxb-faults", signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
        staffing_target=staffing, supplies_target=supplies, training_target=training,
        rpc_deadline_seconds=deadline_seconds)
    clients = ServiceClients.from_settings(settings)
    app = create_app(settings, clients, dedupe=dedupe)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(http_app(app), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            yield ServedBot(f"http://{HOST}:{port}/slack/events", slack, session)
    finally:
        server.should_exit = True
        async with asyncio.timeout(10):
            await task
        sock.close()
        await clients.close()
