"""Benchmark 4: event delivery, outbox → Redis stream → bot notifier → Slack stand-in, pacing off.

N `open_shift.awarded` events over a few channels are written to an outbox table (as staffing's
award does), published by clinops.outbox.OutboxRelay to a Redis stream, and drained by
bot.notifier.Notifier (batches of 50, ChannelPacer(0)) posting to the light stand-in, which checks
that each channel's posts arrive in order and none twice. Redis keys carry a per-run prefix and
are deleted afterwards. Needs Redis at CLINOPS_REDIS_URL (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

from bench.procs import Child
from bench.services import NOW

EVENTS = 5_000
CHANNELS = 8
DRAIN_TIMEOUT_SECONDS = 120.0


def _outbox(database: Path, events: int, channels: int):  # noqa: ANN202 - (engine, table)
    from sqlalchemy import MetaData, create_engine

    from clinops.outbox import Event, outbox_table, record

    database.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{database}")
    metadata = MetaData()
    table = outbox_table(metadata)
    metadata.create_all(engine)
    with engine.begin() as connection:
        for n in range(events):
            channel = f"C0BENCH{n % channels:02d}"
            record(connection, table, Event(
                kind="open_shift.awarded", service="staffing", occurred_at=NOW,
                payload={"slack_channel_id": channel, "slack_message_ts": "1700000000.000001",
                         "slots": 1, "slots_filled": 1, "display_name": f"Bench #{n}",
                         "slack_user_id": f"U0BENCH{n % 64:04d}", "open_shift_id": f"OS{n}"}))
    return engine, table


async def _deliver(redis_url: str, standin_root: str, events: int, channels: int,
                   database: Path) -> dict:
    import redis as redis_sync
    import redis.asyncio as redis
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.notifier.notifier import Notifier
    from bot.notifier.pacing import ChannelPacer
    from bot.notifier.stream import RedisEventStream
    from clinops.outbox import OutboxRelay, RedisPublisher

    prefix = f"bench:{uuid.uuid4().hex}:"
    stream_name = prefix + "events"
    engine, table = _outbox(database, events, channels)
    publisher = RedisPublisher(redis_sync.Redis.from_url(redis_url), stream=stream_name)
    relay = OutboxRelay(engine=engine, table=table, publisher=publisher, clock=lambda: NOW,
                        batch=500)
    client = redis.Redis.from_url(redis_url)
    stream = RedisEventStream(client, stream=stream_name, group=prefix + "group",
                              dead_stream=prefix + "dead", prefix=prefix)
    notifier = Notifier(stream=stream, consumer="bench",
                        client=AsyncWebClient(token="xoxb-bench", base_url=standin_root + "api/"),
                        pacer=ChannelPacer(0), batch=50)
    try:
        began = time.perf_counter()
        relayed = 0
        while relayed < events:
            step = relay.publish_pending()
            if not step:
                raise RuntimeError(f"the relay stopped after {relayed} of {events} events")
            relayed += step
        relayed_at = time.perf_counter()
        settled = 0
        async with asyncio.timeout(DRAIN_TIMEOUT_SECONDS):
            while settled < events:
                settled += await notifier.run_once(block_ms=100)
        finished = time.perf_counter()
        dead = await client.xlen(prefix + "dead")
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        publisher.close()
        engine.dispose()
    return {"relay_s": relayed_at - began, "notify_s": finished - relayed_at,
            "seconds": finished - began, "posted": notifier.posted, "dead_lettered": dead}


def run(*, work_dir: Path, events: int = EVENTS, channels: int = CHANNELS) -> dict:
    """Relay and deliver `events`; rate and the ordering/exactly-once checks."""
    redis_url = os.environ.get("CLINOPS_REDIS_URL", "redis://127.0.0.1:6379/0")
    with Child("bench.standin", "") as standin:
        root = f"http://127.0.0.1:{standin.expect('PORT')}/"
        work_dir.mkdir(parents=True, exist_ok=True)
        measured = asyncio.run(_deliver(redis_url, root, events, channels,
                                        work_dir / "outbox.db"))
        counts = standin.ask_json()
    problems = []
    if counts["numbered"] != events or measured["posted"] != events:
        problems.append(f"{events} events, {measured['posted']} posted, "
                        f"{counts['numbered']} distinct posts at the stand-in")
    if counts["out_of_order"]:
        problems.append(f"{counts['out_of_order']} posts out of order within a channel")
    if counts["duplicates"]:
        problems.append(f"{counts['duplicates']} events posted twice")
    return {"benchmark": "event_delivery", "events": events, "channels": channels,
            **{k: round(v, 3) if isinstance(v, float) else v for k, v in measured.items()},
            "events_per_second": round(events / measured["seconds"], 1),
            "notify_events_per_second": round(events / measured["notify_s"], 1),
            "out_of_order": counts["out_of_order"], "duplicates": counts["duplicates"],
            "checks": {"ok": not problems, "problems": problems}}
