"""A light asyncio stand-in for the Slack Web API and response_url, for load only.

clinops.slack_standin records every call for tests; under load its ThreadingHTTPServer (a thread
per connection, and Bolt's `respond` opens a connection per reply) is itself a limit, measured
beside this one by `bench.http_e2e`. This one answers every POST with Slack's `ok` shape (so
auth.test passes), counts replies per path and how many carried `marker`, and serves the counts
when a line is written to its stdin. Run: `python -m bench.standin [--threads] MARKER`; prints
`PORT n`. With --threads it serves clinops.slack_standin.SlackStandIn instead, for comparison.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
from urllib.parse import parse_qs

AUTH_TEST = json.dumps({"ok": True, "url": "https://clinops-bench.slack.com/", "team": "Bench",
                        "user": "clinops", "team_id": "T0BENCH", "user_id": "U0BOT",
                        "bot_id": "B0BOT", "is_enterprise_install": False,
                        # chat.postMessage answers are read for their ts.
                        "ts": "1700000000.000100", "channel": "C0BENCH"}).encode()


class Counts:
    def __init__(self, marker: bytes) -> None:
        self.marker = marker
        self.posts: dict[str, int] = {}
        self.marked = 0
        # chat.postMessage texts carrying "#<n>": per channel, the last n and any n seen twice
        # or after a larger one (the event benchmark's ordering and exactly-once checks).
        self.last: dict[str, int] = {}
        self.seen: set[tuple[str, int]] = set()
        self.out_of_order = 0
        self.duplicates = 0

    def note_post(self, body: bytes) -> None:
        text = body.decode(errors="replace")
        try:
            fields = json.loads(text)
        except json.JSONDecodeError:
            fields = {k: v[-1] for k, v in parse_qs(text).items()}
        found = re.search(r"#(\d+)", str(fields.get("text", "")))
        if not found:
            return
        channel, number = str(fields.get("channel", "")), int(found.group(1))
        if (channel, number) in self.seen:
            self.duplicates += 1
        elif number < self.last.get(channel, -1):
            self.out_of_order += 1
        self.seen.add((channel, number))
        self.last[channel] = max(number, self.last.get(channel, -1))

    def as_json(self) -> bytes:
        return json.dumps({"posts": self.posts, "marked": self.marked,
                           "numbered": len(self.seen), "out_of_order": self.out_of_order,
                           "duplicates": self.duplicates}).encode()


def _response(status: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n").encode() + body


async def _serve_connection(counts: Counts, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            request_line, _, headers = head.partition(b"\r\n")
            method, path, _ = request_line.split(b" ", 2)
            length = 0
            for line in headers.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            key = path.decode().split("?")[0]
            key = "/response" if key.startswith("/response") else key
            counts.posts[key] = counts.posts.get(key, 0) + 1
            if counts.marker and counts.marker in body:
                counts.marked += 1
            if key.endswith("chat.postMessage"):
                counts.note_post(body)
            writer.write(_response("200 OK", AUTH_TEST))
            await writer.drain()
    finally:
        writer.close()


def _answer_counts(read: callable) -> None:
    """Print the counts (one JSON line) for every line on stdin; exit the process at EOF."""
    for _line in sys.stdin:
        print(read().decode(), flush=True)
    sys.stdout.flush()
    import os

    os._exit(0)


async def serve(marker: str) -> None:
    counts = Counts(marker.encode())
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(counts, r, w), "127.0.0.1", 0, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    threading.Thread(target=_answer_counts, args=(counts.as_json,), daemon=True).start()
    async with server:
        await server.serve_forever()


def serve_threads(marker: str) -> None:
    """The recording stand-in the tests use, counted the same way."""
    from clinops.slack_standin import RESPONSE_URL_METHOD, SlackStandIn

    standin = SlackStandIn(team_id="T0BENCH")
    standin.start()
    print(f"PORT {standin.root_url.rsplit(':', 1)[1].strip('/')}", flush=True)

    def read() -> bytes:
        calls = standin.calls()
        replies = [c for c in calls if c.method == RESPONSE_URL_METHOD]
        marked = sum(1 for c in replies if marker in json.dumps(c.body))
        posts: dict[str, int] = {}
        for call in calls:
            key = "/response" if call.method == RESPONSE_URL_METHOD else f"/api/{call.method}"
            posts[key] = posts.get(key, 0) + 1
        return json.dumps({"posts": posts, "marked": marked}).encode()

    _answer_counts(read)


def main() -> None:
    args = sys.argv[1:]
    threads = "--threads" in args
    args = [a for a in args if a != "--threads"]
    marker = args[0] if args else ""
    if threads:
        serve_threads(marker)
        return
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(marker))
    else:
        uvloop.run(serve(marker))


if __name__ == "__main__":
    main()
