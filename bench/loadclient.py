"""A minimal asyncio HTTP/1.1 keep-alive load client, run in its own process.

httpx spends ~0.8 ms of CPU per request here and caps near 1.2k req/s (DESIGN.md); this client
writes pre-built requests on raw streams and parses only the status line and Content-Length, so
the server under test is the limit. Input (JSON on stdin): host, port, requests (base64 of whole
HTTP requests, used round-robin), concurrency, seconds, warmup_seconds, and optionally a marker
(text a message in a response body should contain). Output: one JSON line.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time

REQUEST_TIMEOUT_SECONDS = 10.0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
        return status, body
    return status, await reader.readexactly(length) if length else b""


async def _worker(host: str, port: int, requests: list[bytes], start_index: int, ends: float,
                  measure_from: float, latencies: list[float], statuses: dict[int, int],
                  errors: list[str], bodies: dict[str, int], marker: bytes) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    index = start_index
    try:
        while (now := time.perf_counter()) < ends:
            request = requests[index % len(requests)]
            index += 1
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                    writer.write(request)
                    status, body = await _read_response(reader)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
                errors.append(type(error).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            took = time.perf_counter() - now
            if now >= measure_from:
                latencies.append(took)
                statuses[status] = statuses.get(status, 0) + 1
                if body:  # a message in the response itself (a slash command's ack)
                    bodies["answered"] += 1
                    bodies["marked"] += bool(marker) and marker in body
    finally:
        writer.close()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, int(round(fraction * len(sorted_values))) - 1))
    return sorted_values[rank]


def summarise(latencies: list[float], seconds: float, statuses: dict[int, int],
              errors: list[str]) -> dict:
    """Throughput and latency figures (ms) of one run."""
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "seconds": round(seconds, 3),
        "rps": round(len(ordered) / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 3),
        "p90_ms": round(percentile(ordered, 0.90) * 1000, 3),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 3),
        "max_ms": round((ordered[-1] if ordered else 0.0) * 1000, 3),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": len(errors),
    }


async def run(config: dict) -> dict:
    """Keep `concurrency` connections busy for warmup + seconds; measure after the warmup."""
    requests = [base64.b64decode(r) for r in config["requests"]]
    concurrency = int(config["concurrency"])
    started = time.perf_counter()
    measure_from = started + float(config.get("warmup_seconds", 0.0))
    ends = measure_from + float(config["seconds"])
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    bodies = {"answered": 0, "marked": 0}
    marker = str(config.get("marker", "")).encode()
    await asyncio.gather(*(
        _worker(config["host"], int(config["port"]), requests, n * 7, ends, measure_from,
                latencies, statuses, errors, bodies, marker)
        for n in range(concurrency)
    ))
    finished = time.perf_counter()
    result = summarise(latencies, finished - measure_from, statuses, errors)
    result["concurrency"] = concurrency
    # Measured responses that carried a message, and those naming `marker` (JSON-escaped).
    result["answered_in_response"] = bodies["answered"]
    result["answered_in_response_marked"] = bodies["marked"]
    return result


def main() -> None:
    config = json.load(sys.stdin)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(config))
    else:
        result = uvloop.run(run(config))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
