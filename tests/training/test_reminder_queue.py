"""QueueReminders: the daily scan writes each due reminder as a `reminder.due` event with its
queued mark, once; one never recorded sent is queued again after the lease, never lost. Real
gRPC, the store on SQLite (and PostgreSQL for the store's compare-and-set)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import grpc
import pytest

from clinops.authz import service_metadata
from clinops.common.v1 import common_pb2
from clinops.outbox import Event, pending_events
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.training import outbox as training_outbox
from services.training.reminders import QUEUE_LEASE
from services.training.server import create_server
from services.training.store import TrainingStore, migrate
from tests.training.training_fixtures import NOW, card, populate

TIMEOUT = 5.0
ON = date(2026, 6, 15)  # C1's BLS is 30 days from expiry; N2's ACLS lapsed 15 days ago
C1_KEY = "C1/BLS/2026-07-15/30"
N2_KEY = "N2/ACLS/2026-05-31/-15"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Published:
    """The stream, as far as training's relay can tell."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def training(training_store: TrainingStore, clock: Clock
             ) -> Iterator[training_pb2_grpc.TrainingServiceStub]:
    server, port = create_server(store=training_store, clock=clock)
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield training_pb2_grpc.TrainingServiceStub(channel)
    server.stop(None)


def queue(stub, on: date = ON, **fields):  # noqa: ANN001, ANN003, ANN201
    request = training_pb2.QueueRemindersRequest(
        on=common_pb2.Date(year=on.year, month=on.month, day=on.day), **fields)
    if "unit_ids" not in fields:
        request.all_units = True
    # The scheduler queues reminders as itself: the scheduler credential (clinops.authz).
    return stub.QueueReminders(request, timeout=TIMEOUT, metadata=service_metadata())


def counts(answer) -> tuple[int, int, int]:  # noqa: ANN001
    return answer.queued, answer.requeued, answer.already_queued


def publish(store: TrainingStore, clock: Clock) -> list[Event]:
    published = Published()
    training_outbox.relay(store.engine, publisher=published, clock=clock).publish_pending()
    return [e for e in published.events if e.kind == "reminder.due"]


def test_each_due_reminder_is_queued_once_as_an_event_carrying_what_its_dm_says(
    training, training_store: TrainingStore, clock: Clock,  # noqa: ANN001
) -> None:
    assert counts(queue(training)) == (2, 0, 0)
    assert counts(queue(training)) == (0, 0, 2)  # the same morning again: nothing written
    events = {e.payload["reminder"]: e for e in publish(training_store, clock)}
    assert set(events) == {C1_KEY, N2_KEY}
    c1 = events[C1_KEY]
    assert c1.event_id == training_outbox.reminder_event_id(C1_KEY)  # named by its key
    assert {k: c1.payload[k] for k in ("slack_user_id", "display_name", "certification_code",
                                       "expires_on", "days_left", "threshold_days",
                                       "first_queued_at")} == {
        "slack_user_id": "UC1", "display_name": "Nurse C1", "certification_code": "BLS",
        "expires_on": "2026-07-15", "days_left": 30, "threshold_days": 30,
        "first_queued_at": ""}
    assert events[N2_KEY].payload["days_left"] == -15
    actions = [e.action for e in training_store.audit_log() if e.action.startswith("REMINDER")]
    assert actions == ["REMINDER_QUEUED", "REMINDER_QUEUED"]


def test_a_facility_scan_queues_only_its_units_staff_and_those_with_no_home_unit(
    training, training_store: TrainingStore, clock: Clock,  # noqa: ANN001
) -> None:
    training_store.put_records([card("E1", "BLS", date(2026, 7, 15))])  # E1: no home unit
    assert counts(queue(training, unit_ids=["ED"])) == (1, 0, 0)
    assert [e.payload["staff_id"] for e in publish(training_store, clock)] == ["E1"]
    assert counts(queue(training, unit_ids=["ICU"])) == (2, 0, 1)


def test_a_reminder_never_recorded_sent_is_queued_again_after_the_lease_under_a_new_id(
    training, training_store: TrainingStore, clock: Clock,  # noqa: ANN001
) -> None:
    queue(training)
    first = {e.payload["reminder"]: e for e in publish(training_store, clock)}
    clock.now = NOW + QUEUE_LEASE - timedelta(minutes=1)
    assert counts(queue(training)) == (0, 0, 2)  # within the lease: its event may still land
    # The next morning, still never sent (dead-lettered): queued again, not dropped. The
    # day's list no longer has it (since = yesterday), the stale mark does.
    clock.now = NOW + timedelta(days=1)
    assert counts(queue(training, on=ON + timedelta(days=1),
                       since=common_pb2.Date(year=2026, month=6, day=15))) == (0, 2, 0)
    again = {e.payload["reminder"]: e for e in publish(training_store, clock)}
    assert again[C1_KEY].event_id == training_outbox.reminder_event_id(
        C1_KEY, previous=first[C1_KEY].event_id) != first[C1_KEY].event_id
    # The notifier looks in the DM from the first queueing on, and the days left are today's.
    assert again[C1_KEY].payload["first_queued_at"] == NOW.isoformat()
    assert again[C1_KEY].payload["days_left"] == 29
    assert "REMINDER_REQUEUED" in [e.action for e in training_store.audit_log()]


def test_a_reminder_recorded_sent_is_never_queued_again(
    training, training_store: TrainingStore, clock: Clock,  # noqa: ANN001
) -> None:
    queue(training)
    event = next(e for e in publish(training_store, clock) if e.payload["reminder"] == C1_KEY)
    sent = training.RecordReminderSent(training_pb2.RecordReminderSentRequest(
        staff_id="C1", certification_code="BLS",
        expires_on=common_pb2.Date(year=2026, month=7, day=15), threshold_days=30,
        phase=training_pb2.REMINDER_PHASE_SENT, claim_id=event.event_id), timeout=TIMEOUT,
        metadata=service_metadata())
    assert sent.recorded
    clock.now = NOW + QUEUE_LEASE + timedelta(hours=1)
    assert counts(queue(training)) == (0, 1, 0)  # N2's only: C1's went out


def test_a_reminder_whose_event_still_waits_for_redis_is_not_queued_again(
    training, training_store: TrainingStore, clock: Clock,  # noqa: ANN001
) -> None:
    queue(training)  # never published: Redis has been down all along
    clock.now = NOW + QUEUE_LEASE + timedelta(hours=1)
    assert counts(queue(training)) == (0, 0, 2)
    assert len(pending_events(training_store.engine, training_outbox.OUTBOX)) == 2


def test_a_stale_reminder_of_a_card_renewed_since_is_left_alone(
    training, training_store: TrainingStore, clock: Clock,  # noqa: ANN001
) -> None:
    queue(training)
    publish(training_store, clock)
    training_store.put_records([card("C1", "BLS", date(2028, 7, 31))])
    clock.now = NOW + QUEUE_LEASE + timedelta(hours=1)
    assert counts(queue(training)) == (0, 1, 0)  # N2's again; C1's says nothing true now


@pytest.mark.parametrize(("fields", "field"), [
    ({"unit_ids": ["ICU; drop"]}, "unit_ids"),
    ({"unit_ids": ["ICU"], "all_units": True}, "unit_ids"),
    ({"since": common_pb2.Date(year=2026, month=6, day=16)}, "since"),
    ({"since": common_pb2.Date(year=2026, month=2, day=30)}, "since"),
])
def test_bad_input_is_invalid_argument_naming_the_field(
    training, fields: dict, field: str,  # noqa: ANN001
) -> None:
    with pytest.raises(grpc.RpcError) as error:
        queue(training, **fields)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.value.details()


@pytest.fixture
def store(database_url: str) -> Iterator[TrainingStore]:
    migrate(database_url)
    opened = TrainingStore.open(database_url)
    populate(opened)
    yield opened
    opened.close()


def test_of_two_scans_queueing_a_stale_reminder_again_one_wins(store: TrainingStore) -> None:
    key = ("C1", "BLS", date(2026, 7, 15), 30)

    def event_for(previous: str, first: datetime | None) -> Event:
        return Event("reminder.due", "training", {"reminder": C1_KEY}, NOW,
                     training_outbox.reminder_event_id(C1_KEY, previous=previous))

    def queue_at(at: datetime) -> str | None:
        return store.queue_reminder(key, event_for=event_for, at=at,
                                    stale_before=at - QUEUE_LEASE)

    assert queue_at(NOW) == "queued"
    assert queue_at(NOW) is None
    training_outbox.relay(store.engine, publisher=Published(), clock=lambda: NOW
                          ).publish_pending()
    later = NOW + QUEUE_LEASE + timedelta(minutes=1)
    assert queue_at(later) == "requeued"
    assert queue_at(later) is None  # the second scan finds it fresh again
    assert store.stale_reminders(stale_before=later) == []
