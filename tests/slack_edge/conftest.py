"""The bot's Slack edge: a listener that records every request the bot makes to anywhere."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

HOST = "127.0.0.1"


@dataclass
class Outbound:
    """Any HTTP request at all that reached this listener: method, path and body."""

    method: str
    path: str
    body: bytes


@dataclass
class OutboundRecorder:
    """Stands where a request's response_url points: whatever the bot sends there is kept."""

    server: ThreadingHTTPServer
    requests: list[Outbound] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str = "/hooks/response") -> str:
        return f"http://{HOST}:{self.server.server_address[1]}{path}"

    def wait_for(self, count: int, seconds: float = 5.0) -> list[Outbound]:
        """At least `count` requests, waited for up to `seconds`."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=seconds)
            assert len(self.requests) >= count, f"{len(self.requests)} of {count} arrived"
            return list(self.requests)


@pytest.fixture
def outbound() -> Iterator[OutboundRecorder]:
    recorder: OutboundRecorder

    class Record(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with recorder.arrived:
                recorder.requests.append(Outbound(self.command, self.path, body))
                recorder.arrived.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any  # noqa: N815

    server = ThreadingHTTPServer((HOST, 0), Record)
    recorder = OutboundRecorder(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recorder
    server.shutdown()
    server.server_close()
