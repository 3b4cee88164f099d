"""Staffing's outbox: written with the award, published once, kept while Redis is away."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import redis

from clinops.outbox import InProcessStream, RedisPublisher, pending_events
from services.staffing.model import OpenShift, Role, Shift
from services.staffing.outbox import OUTBOX, relay
from services.staffing.store import AwardResult, StaffingStore
from tests.events.conftest import NOW, REDIS_URL, TODAY


def icu_rns(hospital, count: int) -> list:
    rns = [s for s in hospital.staff
           if s.home_unit_id == "ICU" and str(getattr(s.role, "value", s.role)) == "RN"]
    return rns[:count]


def open_icu_shift(store: StaffingStore, shift_id: str = "os-events-1", slots: int = 2):
    return store.add_open_shift(OpenShift(
        open_shift_id=shift_id, unit_id="ICU", date=TODAY + timedelta(days=2), shift=Shift.NIGHT,
        role=Role.RN, slots=slots, slack_channel_id="C0ICU0001",
        slack_message_ts="1700000000.000100", created_at=NOW, created_by="U0MAYA"))


def clock():
    return NOW


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_award_writes_its_announcement_in_the_same_transaction(staffing_store, hospital):
    nurse = icu_rns(hospital, 1)[0]
    open_icu_shift(staffing_store)
    assert staffing_store.award("os-events-1", nurse.staff_id, NOW) is AwardResult.AWARDED
    [event] = pending_events(staffing_store.engine, OUTBOX)
    assert (event.service, event.kind) == ("staffing", "open_shift.awarded")
    assert event.payload["display_name"] == nurse.display_name
    assert event.payload["slack_user_id"] == nurse.slack_user_id
    assert (event.payload["slots_filled"], event.payload["slots"]) == (1, 2)
    assert event.payload["slack_message_ts"] == "1700000000.000100"


def test_an_award_the_database_refuses_writes_no_event(staffing_store, hospital):
    nurse = icu_rns(hospital, 1)[0]
    open_icu_shift(staffing_store)
    open_icu_shift(staffing_store, "os-events-2")
    staffing_store.award("os-events-1", nurse.staff_id, NOW)
    # Same nurse, same night, another shift: the assignment key refuses it inside the transaction.
    assert staffing_store.award("os-events-2", nurse.staff_id, NOW) is AwardResult.ALREADY_ASSIGNED
    assert [e.payload["open_shift_id"] for e in pending_events(staffing_store.engine, OUTBOX)] == [
        "os-events-1"]


def test_a_filled_shift_writes_no_award_event(staffing_store, hospital):
    first, second = icu_rns(hospital, 2)
    open_icu_shift(staffing_store, slots=1)
    staffing_store.award("os-events-1", first.staff_id, NOW)
    assert staffing_store.award("os-events-1", second.staff_id, NOW) is AwardResult.ALREADY_FILLED
    assert len(pending_events(staffing_store.engine, OUTBOX)) == 1


def test_the_relay_publishes_each_event_once(staffing_store, hospital, stream_name):
    first, second = icu_rns(hospital, 2)
    open_icu_shift(staffing_store)
    staffing_store.award("os-events-1", first.staff_id, NOW)
    staffing_store.award("os-events-1", second.staff_id, NOW)
    publisher = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    relaying = relay(staffing_store.engine, publisher=publisher, clock=clock)
    assert relaying.publish_pending() == 2
    assert relaying.publish_pending() == 0
    entries = publisher.client.xrange(stream_name)
    assert [e[1][b"kind"] for e in entries] == [b"open_shift.awarded"] * 2
    assert pending_events(staffing_store.engine, OUTBOX) == []
    publisher.close()


def test_events_wait_while_redis_is_down_and_go_out_once_when_it_returns(
        staffing_store, hospital, stream_name):
    nurse = icu_rns(hospital, 1)[0]
    open_icu_shift(staffing_store)
    staffing_store.award("os-events-1", nurse.staff_id, NOW)
    down = RedisPublisher.from_url(f"redis://127.0.0.1:{closed_port()}/0", stream=stream_name)
    assert relay(staffing_store.engine, publisher=down, clock=clock).publish_pending() == 0
    assert len(pending_events(staffing_store.engine, OUTBOX)) == 1
    back = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    relaying = relay(staffing_store.engine, publisher=back, clock=clock)
    assert relaying.publish_pending() == 1
    assert relaying.publish_pending() == 0
    assert back.client.xlen(stream_name) == 1
    down.close()
    back.close()


def test_the_relay_thread_publishes_without_being_asked(staffing_store, hospital):
    nurse = icu_rns(hospital, 1)[0]
    open_icu_shift(staffing_store)
    stream = InProcessStream()
    relaying = relay(staffing_store.engine, publisher=stream, clock=clock,
                     poll_seconds=0.01).start()
    try:
        staffing_store.award("os-events-1", nurse.staff_id, NOW)
        for _ in range(500):  # bounded: at most 5 s of polls
            taken = stream.take(10)
            if taken:
                break
            relaying._stop.wait(0.01)
        assert [e.kind for _, e in taken] == ["open_shift.awarded"]
    finally:
        relaying.stop()


def test_a_relay_publisher_error_is_a_redis_error_not_a_crash():
    with pytest.raises(redis.RedisError):
        RedisPublisher.from_url(f"redis://127.0.0.1:{closed_port()}/0").client.ping()
