"""The events counters and the outbox depth move with what really happens: a post Slack accepted,
a post it refused, an event given up on, rows waiting in a service's outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from clinops.demo.hospital import build_hospital
from clinops.outbox import RedisPublisher
from services.staffing.model import OpenShift, Role, Shift
from services.staffing.outbox import relay
from services.staffing.seed import seed_demo
from services.staffing.store import StaffingStore, migrate
from tests.events.conftest import (  # noqa: F401 - fixtures
    NOW,
    REDIS_URL,
    TODAY,
    event_stream,
    key_prefix,
    slack,
    stream_name,
)
from tests.events.test_notifier import awarded, notifier, plain_client, publish


def events(outcome: str) -> float:
    return REGISTRY.get_sample_value("clinops_events_total", {"outcome": outcome}) or 0.0


def depth(service: str) -> float | None:
    return REGISTRY.get_sample_value("clinops_outbox_depth", {"service": service})


@pytest.fixture
def hospital():
    return build_hospital(TODAY)


@pytest.fixture
def staffing_store(tmp_path: Path, hospital) -> Iterator[StaffingStore]:
    url = f"sqlite:///{tmp_path / 'staffing.db'}"
    migrate(url)
    store = StaffingStore.open(url)
    seed_demo(store, hospital)
    yield store
    store.close()


async def test_a_delivered_announcement_counts_as_delivered(
        slack, event_stream, stream_name):  # noqa: F811 - fixtures
    before = events("delivered")
    publish(stream_name, awarded("C0ICU0001", "Rajesh Iyer"))
    assert await notifier(event_stream, plain_client(slack)).run_once() == 1
    assert events("delivered") == before + 1


async def test_a_refused_post_counts_as_failed_and_the_last_attempt_as_dead_lettered(
        slack, event_stream, stream_name):  # noqa: F811 - fixtures
    failed, dead, delivered = events("failed"), events("dead_lettered"), events("delivered")
    publish(stream_name, awarded("C0ICU0001", "Aisha Rahman"))
    bot = notifier(event_stream, plain_client(slack), max_attempts=2)
    slack.fail_next("chat.postMessage", status=500)
    assert await bot.run_once() == 0  # first attempt refused: kept for another try
    assert events("failed") == failed + 1 and events("dead_lettered") == dead

    slack.fail_next("chat.postMessage", status=500)
    for _ in range(5):  # bounded: the kept entry comes back on a later read
        if await bot.run_once() or await bot.reclaim():
            break
    await bot.run_once()
    assert events("failed") == failed + 2
    assert events("dead_lettered") == dead + 1
    assert events("delivered") == delivered


def test_the_relay_sets_the_outbox_depth_to_the_rows_still_waiting(
        staffing_store, hospital, stream_name):  # noqa: F811 - fixtures
    nurses = [s for s in hospital.staff
              if s.home_unit_id == "ICU" and str(getattr(s.role, "value", s.role)) == "RN"][:2]
    staffing_store.add_open_shift(OpenShift(
        open_shift_id="os-depth-1", unit_id="ICU", date=TODAY + timedelta(days=2),
        shift=Shift.NIGHT, role=Role.RN, slots=2, slack_channel_id="C0ICU0001",
        slack_message_ts="1700000000.000100", created_at=NOW, created_by="U0MAYA"))
    for nurse in nurses:
        staffing_store.award("os-depth-1", nurse.staff_id, NOW)
    publisher = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    relaying = relay(staffing_store.engine, publisher=publisher, clock=lambda: NOW)
    relaying.batch = 1
    try:
        assert relaying.publish_pending() == 1
        assert depth("staffing") == 1
        assert relaying.publish_pending() == 1
        assert depth("staffing") == 0
    finally:
        publisher.close()
