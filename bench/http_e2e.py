"""Benchmark 1: /shift-gap end to end over signed HTTP, beside its two ceilings in the same run.

Processes: the load client (bench.loadclient), the bot under test (bench.bot_server), the staffing
and training services (bench.services, SQLite seeded with the demo hospital) and the Slack
stand-in (bench.standin). Each variant serves the same signed slash-command requests.
"""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path

from bench.procs import Child, run_load
from bench.services import TODAY
from clinops.console import signed_headers, slack_user_of, slash_command_body
from clinops.demo.hospital import build_hospital

PATH = "/slack/events"
TEXT = "ICU"
# What the reply posted at response_url says for ICU's day shift (shift_gap_text).
REPLY_MARKER = "ICU Day shift: "
CONCURRENCY = (1, 16, 64)
DISTINCT_REQUESTS = 64


def signed_requests(*, port: int, signing_secret: str, response_root: str,
                    count: int = DISTINCT_REQUESTS) -> list[str]:
    """Whole HTTP/1.1 requests as Slack sends a slash command (base64), signed now."""
    charge_nurse = slack_user_of(build_hospital(TODAY).featured_users()[0])
    now = int(time.time())
    requests = []
    for n in range(count):
        body = slash_command_body(user=charge_nurse, command="/shift-gap", text=TEXT,
                                  response_url=f"{response_root}response/bench-{n}")
        headers = signed_headers(body, signing_secret, now)
        encoded = body.encode()
        head = (f"POST {PATH} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                + f"content-length: {len(encoded)}\r\n\r\n")
        requests.append(base64.b64encode(head.encode() + encoded).decode())
    return requests


def standin_requests(port: int, count: int = 8) -> list[str]:
    """Replies as Bolt posts them to response_url, to measure a stand-in alone."""
    body = b'{"text": "ICU day: short 1", "response_type": "ephemeral"}'
    return [base64.b64encode(
        (f"POST /response/alone-{n} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
         f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n").encode()
        + body).decode() for n in range(count)]


def _load(port: int, requests: list[str], concurrency: int, seconds: float,
          warmup: float) -> dict:
    return run_load({"host": "127.0.0.1", "port": port, "requests": requests,
                     "concurrency": concurrency, "seconds": seconds,
                     "warmup_seconds": warmup, "marker": REPLY_MARKER},
                    timeout=seconds + warmup + 60)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; 0 without psutil."""
    try:
        import psutil
    except ImportError:
        return 0.0
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _variant(variant: str, *, standin: Child, services: Child, levels: tuple[int, ...],
             seconds: float, warmup: float) -> list[dict]:
    secret = uuid.uuid4().hex
    standin_root = f"http://127.0.0.1:{standin.expect('PORT')}/"
    rows = []
    staffing_port = int(services.expect("STAFFING"))
    with Child("bench.bot_server", variant, secret, standin_root + "api/",
               f"127.0.0.1:{staffing_port}") as bot:
        port = int(bot.expect("PORT"))
        serving = bot.expect("LOOP")
        requests = signed_requests(port=port, signing_secret=secret, response_root=standin_root)
        for concurrency in levels:
            before = standin.ask_json()
            cpu_before = [cpu_seconds(c.pid) for c in (bot, services, standin)]
            result = _load(port, requests, concurrency, seconds, warmup)
            cpu = [cpu_seconds(c.pid) - b for c, b in zip((bot, services, standin), cpu_before,
                                                           strict=True)]
            after = standin.ask_json()
            # A reply is posted at the response_url, or comes in the ack itself (/shift-gap).
            posted = after["posts"].get("/response", 0) - before["posts"].get("/response", 0)
            replies = posted + result["answered_in_response"]
            marked = after["marked"] - before["marked"] + result["answered_in_response_marked"]
            answered = max(1, replies if variant == "clinops" else result["requests"])
            rows.append({"variant": variant, "serving": serving, **result,
                         "replies_posted": posted, "replies": replies, "replies_marked": marked,
                         # CPU per request over the whole run (warmup too), by process.
                         "cpu_ms_per_request": {
                             name: round(used * 1000 / answered, 3)
                             for name, used in zip(("bot", "services", "standin"), cpu,
                                                   strict=True)}})
    return rows


def run(*, work_dir: Path, seconds: float = 5.0, warmup: float = 1.0,
        levels: tuple[int, ...] = CONCURRENCY) -> dict:
    """All three variants at each concurrency, plus the stand-ins alone and under ClinOps."""
    rows: list[dict] = []
    with Child("bench.services", str(work_dir / "http-e2e")) as services:
        services.expect("READY")
        with Child("bench.standin", REPLY_MARKER) as light:
            for variant in ("ack", "grpc", "clinops"):
                rows += _variant(variant, standin=light, services=services,
                                 levels=levels, seconds=seconds, warmup=warmup)
            alone = _load(int(light.expect("PORT")), standin_requests(int(light.expect("PORT"))),
                          16, seconds / 2, warmup / 2)
            rows.append({"variant": "standin-async-alone", "serving": "asyncio", **alone,
                         "replies_posted": 0, "replies": 0, "replies_marked": 0})
        with Child("bench.standin", "--threads", REPLY_MARKER) as threads:
            middle = 16 if 16 in levels else levels[-1]
            for row in _variant("clinops", standin=threads, services=services,
                                levels=(middle,), seconds=seconds, warmup=warmup):
                rows.append({**row, "variant": "clinops-threading-standin"})
            alone = _load(int(threads.expect("PORT")),
                          standin_requests(int(threads.expect("PORT"))), 16, seconds / 2,
                          warmup / 2)
            rows.append({"variant": "standin-threading-alone", "serving": "ThreadingHTTPServer",
                         **alone, "replies_posted": 0, "replies": 0, "replies_marked": 0})
    return {"benchmark": "shift_gap_http", "seconds_per_level": seconds, "rows": rows,
            "checks": checks(rows)}


def checks(rows: list[dict]) -> dict:
    """Correctness under load: every answer 200, no errors, every ClinOps request replied to."""
    problems = []
    for row in rows:
        name = f"{row['variant']}@{row['concurrency']}"
        if row["errors"] or set(row["statuses"]) - {"200"}:
            problems.append(f"{name}: statuses {row['statuses']}, {row['errors']} errors")
        if row["variant"].startswith("clinops"):
            if row["replies"] < row["requests"]:
                problems.append(f"{name}: {row['requests']} answered, "
                                f"{row['replies']} replies")
            if row["replies_marked"] != row["replies"]:
                problems.append(f"{name}: {row['replies'] - row['replies_marked']} "
                                f"replies without {REPLY_MARKER!r}")
    return {"ok": not problems, "problems": problems}
