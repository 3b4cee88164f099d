"""One scheduler leads at a time (real Redis): a standby takes over within TTL + one poll."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING

from bot.scheduler.leader import LeaderElection
from bot.scheduler.process import SchedulerProcess

TTL = 0.6
POLL = 0.1


def election(client: redis.Redis, prefix: str, ttl: float = TTL) -> LeaderElection:
    return LeaderElection(client, name=f"{prefix}scheduler:leader", ttl_seconds=ttl)


def poll_until(candidate: LeaderElection, *, within: float) -> float:
    """Poll every POLL seconds until `candidate` leads; the time it took (bounded)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if candidate.poll():
            return time.monotonic() - started
        time.sleep(POLL)
    raise AssertionError(f"no takeover within {within} s")


def test_of_two_schedulers_only_one_leads(redis_client, key_prefix) -> None:  # noqa: ANN001
    first, second = election(redis_client, key_prefix), election(redis_client, key_prefix)
    assert first.poll() is True
    assert second.poll() is False
    # Renewing keeps it: the standby still cannot take over, poll after poll.
    for _ in range(3):
        assert first.poll() is True and second.poll() is False


def test_a_standby_takes_over_within_the_ttl_when_the_leader_stops_renewing(
    redis_client, key_prefix,  # noqa: ANN001
) -> None:
    leader, standby = election(redis_client, key_prefix), election(redis_client, key_prefix)
    assert leader.poll() and not standby.poll()
    # The leader dies: it never polls again.
    took = poll_until(standby, within=TTL + POLL + 2.0)
    assert took <= TTL + POLL + 0.5
    # The old leader, come back, learns at its next poll that it no longer leads.
    assert leader.poll() is False


def test_a_clean_stop_hands_over_at_once(redis_client, key_prefix) -> None:  # noqa: ANN001
    leader, standby = election(redis_client, key_prefix, ttl=30), election(
        redis_client, key_prefix, ttl=30)
    assert leader.poll()
    leader.resign()
    assert standby.poll() is True


@pytest.fixture
def processes(redis_client, key_prefix) -> Iterator[tuple[SchedulerProcess, SchedulerProcess]]:  # noqa: ANN001
    pair = tuple(SchedulerProcess(BackgroundScheduler(timezone="UTC"),
                                  election(redis_client, key_prefix)) for _ in range(2))
    for process in pair:
        process.start()
    yield pair
    for process in pair:
        process.stop()


def test_only_the_leaders_scheduler_runs_and_a_leader_that_loses_the_lock_pauses(
    processes, redis_client, key_prefix,  # noqa: ANN001
) -> None:
    leader, standby = processes
    assert leader.scheduler.state == STATE_RUNNING
    assert standby.scheduler.state == STATE_PAUSED
    # The lock is lost (expired while the leader was stalled, and taken by another).
    redis_client.delete(f"{key_prefix}scheduler:leader")
    assert standby.poll() is True
    assert leader.poll() is False
    assert leader.scheduler.state == STATE_PAUSED
    assert standby.scheduler.state == STATE_RUNNING


def test_redis_unreachable_means_not_leading() -> None:
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    assert LeaderElection(unreachable, name="x", ttl_seconds=1).poll() is False
