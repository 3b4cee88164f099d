"""A local stand-in for the Slack Web API and response_url, recording every call.

The real slack_sdk client talks to it through SLACK_API_URL; the console and the end-to-end
tests read back what the bot posted. Stdlib only, served from a background thread.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RESPONSE_URL_METHOD = "response_url"
UPLOAD_METHOD = "file_upload"


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in answered: Web API method (or response_url/file_upload)."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: datetime
    # For response_url posts, the name given to `response_url(name)`.
    name: str = ""
    # What the stand-in answered a Web API method (e.g. the ts of a posted message).
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: int = 0


@dataclass
class _Hold:
    seconds: float
    remaining: int


@dataclass
class _State:
    calls: list[RecordedCall] = field(default_factory=list)
    faults: dict[str, _Fault] = field(default_factory=dict)
    holds: dict[str, _Hold] = field(default_factory=dict)
    condition: threading.Condition = field(default_factory=threading.Condition)


def parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    """The body as slack_sdk sends it: form-encoded or JSON (blocks in forms are JSON text)."""
    if not raw:
        return {}
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return {"_raw": text}
        return parsed if isinstance(parsed, dict) else {"_json": parsed}
    if "x-www-form-urlencoded" in content_type:
        form = {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}
        for key in ("blocks", "attachments", "view", "files", "metadata"):
            if isinstance(form.get(key), str):
                with contextlib.suppress(json.JSONDecodeError):
                    form[key] = json.loads(form[key])
        return form
    return {"_raw": text}


class SlackStandIn:
    """`with SlackStandIn() as slack:` → `slack.base_url` for SLACK_API_URL, `slack.calls()`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        team_id: str = "T0CLINOPS",
        bot_user_id: str = "U0CLINBOT",
        users: dict[str, dict[str, Any]] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`clock`: message timestamps (ts) follow it instead of the wall clock, so a test's
        injected time and conversations.history's `oldest` agree."""
        self.team_id = team_id
        self._clock = clock
        self.bot_user_id = bot_user_id
        self.users = users or {}
        self._state = _State()
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = itertools.count(1)
        self._epoch = int(time.time())
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "views.open": self._view,
            "views.publish": self._view,
            "views.update": self._view,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> str:
        """Serve from a background thread; returns the Web API base URL."""
        if self._server is None:
            self._server = ThreadingHTTPServer((self._host, self._port), self._handler_class())
            self._server.daemon_threads = True
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                name="slack-standin", daemon=True,
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> SlackStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Slack stand-in is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def base_url(self) -> str:
        """Give this to slack_sdk as base_url (SLACK_API_URL)."""
        return self.root_url + "api/"

    def response_url(self, name: str = "default") -> str:
        """A response_url for a payload; posts to it are recorded under that name."""
        return f"{self.root_url}response/{name}"

    # ---- reading what was recorded ---------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        with self._state.condition:
            return [c for c in self._state.calls if method is None or c.method == method]

    def call_count(self) -> int:
        with self._state.condition:
            return len(self._state.calls)

    def calls_since(self, index: int) -> list[RecordedCall]:
        with self._state.condition:
            return list(self._state.calls[index:])

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, *, name: str | None = None
    ) -> list[RecordedCall]:
        """Block until `count` calls to `method` (named `name`, if given) were recorded.

        Raises TimeoutError after `timeout` seconds; returns the matching calls.
        """

        def matching() -> list[RecordedCall]:
            return [c for c in self._state.calls
                    if c.method == method and (name is None or c.name == name)]

        with self._state.condition:
            done = self._state.condition.wait_for(lambda: len(matching()) >= count, timeout)
            found = matching()
        if not done:
            raise TimeoutError(f"{len(found)} of {count} {method} calls after {timeout} s")
        return found

    def clear(self) -> None:
        with self._state.condition:
            self._state.calls.clear()

    # ---- faults ------------------------------------------------------------------------------

    def fail_next(self, method: str, count: int = 1, *, status: int = 429, retry_after: int = 1):
        """The next `count` calls to `method` answer `status` (429 carries Retry-After)."""
        with self._state.condition:
            self._state.faults[method] = _Fault(status=status, remaining=count,
                                                retry_after=retry_after)

    def hold_next(self, method: str, seconds: float, count: int = 1) -> None:
        """The next `count` calls to `method` are done and recorded, then answered only after
        `seconds`: a client killed meanwhile dies after Slack accepted, before it heard so."""
        with self._state.condition:
            self._state.holds[method] = _Hold(seconds=seconds, remaining=count)

    def _take_hold(self, method: str) -> float:
        with self._state.condition:
            hold = self._state.holds.get(method)
            if hold is None or hold.remaining <= 0:
                return 0.0
            hold.remaining -= 1
            return hold.seconds

    def _take_fault(self, method: str) -> _Fault | None:
        with self._state.condition:
            fault = self._state.faults.get(method)
            if fault is None or fault.remaining <= 0:
                return None
            fault.remaining -= 1
            return fault

    def _record(self, call: RecordedCall) -> None:
        with self._state.condition:
            self._state.calls.append(call)
            self._state.condition.notify_all()

    # ---- the Web API methods -----------------------------------------------------------------

    def _ts(self) -> str:
        n = next(self._counter)
        if self._clock is not None:
            return f"{int(self._clock().timestamp())}.{n:06d}"
        return f"{self._epoch + n}.{n:06d}"

    def _auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://clinops-demo.slack.com/",
            "team": "ClinOps Demo",
            "user": "clinops",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": "B0CLINBOT",
            "is_enterprise_install": False,
        }

    def _post_message(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel", "")
        ts = self._ts()
        message = {"type": "message", "user": self.bot_user_id, "ts": ts,
                   "text": body.get("text", ""), "blocks": body.get("blocks", [])}
        if body.get("thread_ts"):
            message["thread_ts"] = body["thread_ts"]
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": body.get("channel", ""), "ts": body.get("ts", ""),
                "text": body.get("text", "")}

    def _post_ephemeral(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._ts()}

    def _view(self, body: dict[str, Any]) -> dict[str, Any]:
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        return {"ok": True, "view": {**view, "id": f"V{next(self._counter):08d}"}}

    def _users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        user_id = body.get("user", "")
        user = self.users.get(user_id, {"id": user_id, "name": user_id.lower(),
                                        "real_name": user_id, "team_id": self.team_id})
        return {"ok": True, "user": user}

    def _conversations_open(self, body: dict[str, Any]) -> dict[str, Any]:
        users = str(body.get("users", "")).replace(",", "")
        return {"ok": True, "channel": {"id": f"D{users or next(self._counter)}"}}

    def _conversations_history(self, body: dict[str, Any]) -> dict[str, Any]:
        """The channel's top-level messages posted through the stand-in, newest first, within
        oldest/latest; their metadata only with include_all_metadata (as Slack does)."""
        channel = body.get("channel", "")
        oldest, latest = float(body.get("oldest") or 0), float(body.get("latest") or "inf")
        with self._state.condition:
            posted = [c for c in self._state.calls if c.method == "chat.postMessage"
                      and c.answer.get("ok") and c.answer.get("channel") == channel
                      and not c.body.get("thread_ts")]
        return _message_page(body, [c for c in reversed(posted)
                                    if oldest <= float(c.answer["ts"]) <= latest])

    def _conversations_replies(self, body: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent, then the replies posted through the stand-in, oldest first,
        within oldest/latest; metadata only with include_all_metadata (as Slack does)."""
        channel, parent = body.get("channel", ""), str(body.get("ts", ""))
        oldest, latest = float(body.get("oldest") or 0), float(body.get("latest") or "inf")
        with self._state.condition:
            posted = [c for c in self._state.calls if c.method == "chat.postMessage"
                      and c.answer.get("ok") and c.answer.get("channel") == channel
                      and parent in (c.answer["ts"], str(c.body.get("thread_ts") or ""))]
        if not any(c.answer["ts"] == parent for c in posted):
            return {"ok": False, "error": "thread_not_found"}
        return _message_page(body, [c for c in posted if c.answer["ts"] == parent
                                    or oldest <= float(c.answer["ts"]) <= latest])

    def _get_upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._counter):08d}"
        return {"ok": True, "upload_url": f"{self.root_url}upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        files = body.get("files") if isinstance(body.get("files"), list) else []
        return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title", "")}
                                      for f in files]}

    # ---- HTTP ------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # quiet: the recording is the log

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                headers = {key.lower(): value for key, value in self.headers.items()}
                if path.startswith("/upload/"):
                    uploaded = {"bytes": len(raw),
                                "content": raw.decode("utf-8", errors="replace"),
                                # Exactly as sent: the console saves uploaded PNGs from it.
                                "raw": raw}
                    standin._record(RecordedCall(UPLOAD_METHOD, uploaded, headers,
                                                 datetime.now(UTC), path.rsplit("/", 1)[-1]))
                    self._reply(200, f"OK - {len(raw)}".encode(), "text/plain")
                    return
                body = parse_body(headers.get("content-type", ""), raw)
                # GET-style methods (users.info...) carry their arguments in the query string.
                query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
                body = {**{key: values[-1] for key, values in query.items()}, **body}
                if path.startswith("/response/"):
                    name = path.removeprefix("/response/")
                    fault = standin._take_fault(RESPONSE_URL_METHOD)
                    if fault:
                        self._fault(fault)
                        return
                    standin._record(RecordedCall(RESPONSE_URL_METHOD, body, headers,
                                                 datetime.now(UTC), name))
                    self._reply(200, b"ok", "text/plain")
                    return
                if path.startswith("/api/"):
                    method = path.removeprefix("/api/")
                    fault = standin._take_fault(method)
                    if fault:
                        standin._record(RecordedCall(method, body, headers, datetime.now(UTC),
                                                     f"fault {fault.status}"))
                        self._fault(fault)
                        return
                    answer = standin._methods.get(method)
                    result = answer(body) if answer else {"ok": False, "error": "unknown_method"}
                    standin._record(RecordedCall(method, body, headers, datetime.now(UTC),
                                                 answer=result))
                    held = standin._take_hold(method)
                    if held:
                        time.sleep(held)
                    self._reply(200, json.dumps(result).encode(), "application/json")
                    return
                self._reply(404, b"not found", "text/plain")

            do_GET = do_POST  # noqa: N815 - slack_sdk may GET some methods

            def _fault(self, fault: _Fault) -> None:
                extra = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
                error = "ratelimited" if fault.status == 429 else "internal_error"
                self._reply(fault.status, json.dumps({"ok": False, "error": error}).encode(),
                            "application/json", extra)

            def _reply(self, status: int, payload: bytes, content_type: str,
                       extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def _message_page(body: dict[str, Any], calls: list[RecordedCall]) -> dict[str, Any]:
    """conversations.history/replies' answer: the posted messages (with the metadata they were
    posted with, when include_all_metadata asks for it), paged by limit and cursor."""
    limit = max(1, min(int(body.get("limit") or 100), 999))
    offset = int(body.get("cursor") or 0)
    with_metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
    messages = []
    for call in calls:
        message = dict(call.answer["message"])
        if with_metadata and isinstance(call.body.get("metadata"), dict):
            message["metadata"] = call.body["metadata"]
        messages.append(message)
    page = messages[offset:offset + limit]
    more = offset + limit < len(messages)
    return {"ok": True, "messages": page, "has_more": more,
            "response_metadata": {"next_cursor": str(offset + limit) if more else ""}}
