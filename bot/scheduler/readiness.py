"""GET /readyz for the scheduler: Redis (its leader lock), Slack, and the services it asks.

The same answer as the bot's /readyz (bot/server.py): 200 when everything answers, else 503
naming what does not. A standby that does not lead is ready: it is waiting, by design.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import redis
from grpc_health.v1 import health_pb2, health_pb2_grpc
from slack_sdk import WebClient

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.0

Checks = dict[str, dict[str, object]]


def readiness(*, redis_client: redis.Redis, slack: WebClient,
              channels: Mapping[str, grpc.Channel], leading: Callable[[], bool]) -> Checks:
    """Redis, Slack (auth.test) and each service's gRPC health, probed now."""
    checks: Checks = {}
    try:
        checks["redis"] = {"ok": bool(redis_client.ping()), "leading": leading()}
    except redis.RedisError as error:
        checks["redis"] = {"ok": False, "error": type(error).__name__}
    try:
        answer = slack.auth_test()
        checks["slack"] = {"ok": bool(answer.get("ok")), "team": answer.get("team", "")}
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", named below
        checks["slack"] = {"ok": False, "error": type(error).__name__}
    for name, channel in channels.items():
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=READY_TIMEOUT_SECONDS)
            status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
            checks[name] = {"ok": status == "SERVING", "status": status}
        except grpc.RpcError as error:
            checks[name] = {"ok": False, "status": error.code().name}
    return checks


class ReadinessServer:
    """A small HTTP server in a daemon thread answering GET /readyz with `probe()`."""

    def __init__(self, probe: Callable[[], Checks], *, port: int,
                 address: str = "127.0.0.1") -> None:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            if handler.path.split("?")[0] != "/readyz":
                handler.send_error(404)
                return
            checks = probe()
            ready = all(check["ok"] for check in checks.values())
            body = json.dumps({"ready": ready, "checks": checks}).encode()
            handler.send_response(200 if ready else 503)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        class Handler(BaseHTTPRequestHandler):
            do_GET = answer

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # a probe every few seconds is not news

        self.http = ThreadingHTTPServer((address, port), Handler)
        self.port = self.http.server_address[1]
        self._thread = threading.Thread(target=self.http.serve_forever, name="readyz",
                                        daemon=True)

    def start(self) -> ReadinessServer:
        self._thread.start()
        log.info("readiness on port %d at /readyz", self.port)
        return self

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
