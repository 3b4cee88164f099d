"""Two-phase reminder delivery and the managers' digest: store contract (SQLite, PostgreSQL)
and the RPCs over real gRPC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import grpc
import pytest

from clinops.authz import service_metadata
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.training.reminders import CLAIM_LEASE
from services.training.server import create_server
from services.training.store import TrainingStore, migrate
from tests.training.training_fixtures import NOW, populate

TIMEOUT = 5.0
KEY = ("C1", "BLS", date(2026, 7, 15), 30)


@pytest.fixture
def store(database_url: str) -> Iterator[TrainingStore]:
    migrate(database_url)
    opened = TrainingStore.open(database_url)
    populate(opened)
    yield opened
    opened.close()


def claim(store: TrainingStore, claim_id: str, minutes: int = 0) -> bool:
    at = NOW + timedelta(minutes=minutes)
    return store.claim_reminder(KEY, claim_id=claim_id, at=at, stale_before=at - CLAIM_LEASE)


def test_a_reminder_claimed_by_one_sender_is_refused_to_a_second(store: TrainingStore) -> None:
    assert claim(store, "first") is True
    assert claim(store, "second", minutes=1) is False
    assert store.settle_reminder(KEY, claim_id="first", sent=True, at=NOW) is True
    assert claim(store, "third", minutes=60) is False  # sent: never again, however late


def test_a_released_claim_can_be_claimed_again_by_a_later_scan(store: TrainingStore) -> None:
    assert claim(store, "first") is True
    assert store.settle_reminder(KEY, claim_id="first", sent=False, at=NOW) is True
    assert store.reminders_recorded(["C1"]) == set()
    assert claim(store, "retry", minutes=1440) is True


def test_a_claim_whose_sender_died_is_taken_over_only_after_the_lease(
    store: TrainingStore,
) -> None:
    assert claim(store, "dead") is True
    lease = int(CLAIM_LEASE.total_seconds() // 60)
    assert claim(store, "early", minutes=lease - 1) is False
    assert store.reminders_recorded(["C1"], stale_claims_before=NOW) == {KEY}
    assert store.reminders_recorded(
        ["C1"], stale_claims_before=NOW + timedelta(minutes=lease + 1)) == set()
    assert claim(store, "late", minutes=lease + 1) is True
    # The dead sender, come back, can no longer mark it: the new claim is not theirs.
    assert store.settle_reminder(KEY, claim_id="dead", sent=True, at=NOW) is False
    assert store.settle_reminder(KEY, claim_id="late", sent=True, at=NOW) is True


def test_a_claim_that_takes_over_a_stale_one_says_when_that_claim_was_made(
    store: TrainingStore,
) -> None:
    fresh = store.take_reminder_claim(KEY, claim_id="dead", at=NOW,
                                      stale_before=NOW - CLAIM_LEASE)
    assert fresh is not None and fresh.took_over_from is None
    later = NOW + CLAIM_LEASE + timedelta(minutes=1)
    taken = store.take_reminder_claim(KEY, claim_id="late", at=later,
                                      stale_before=later - CLAIM_LEASE)
    assert taken is not None and taken.took_over_from == NOW
    # The same instant again: the taker's own claim is fresh, nobody else may take it.
    assert store.take_reminder_claim(KEY, claim_id="third", at=later,
                                     stale_before=later - CLAIM_LEASE) is None
    # The taker dies too: the next one still hears of the first claim, before any DM of either.
    last = later + CLAIM_LEASE + timedelta(minutes=1)
    again = store.take_reminder_claim(KEY, claim_id="last", at=last,
                                      stale_before=last - CLAIM_LEASE)
    assert again is not None and again.took_over_from == NOW


@pytest.fixture
def training(training_store: TrainingStore) -> Iterator[training_pb2_grpc.TrainingServiceStub]:
    server, port = create_server(store=training_store, clock=fixed_clock(NOW))
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield training_pb2_grpc.TrainingServiceStub(channel)
    server.stop(None)


def record(stub, phase: int, claim_id: str = ""):  # noqa: ANN001, ANN201
    request = training_pb2.RecordReminderSentRequest(
        staff_id="C1", certification_code="BLS",
        expires_on=common_pb2.Date(year=2026, month=7, day=15), threshold_days=30,
        phase=phase, claim_id=claim_id)
    # The notifier records a DM as itself: the scheduler credential (clinops.authz).
    return stub.RecordReminderSent(request, timeout=TIMEOUT, metadata=service_metadata())


def expiring_staff(stub) -> set[str]:  # noqa: ANN001
    request = training_pb2.ListExpiringRequest(on=common_pb2.Date(year=2026, month=6, day=15))
    return {e.record.staff_id for e in stub.ListExpiring(
        request, timeout=TIMEOUT, metadata=service_metadata()).expiring}


def test_a_reminder_leaves_the_expiring_list_once_sent_not_while_claimed_and_is_audited(
    training, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    assert "C1" in expiring_staff(training)
    claimed = record(training, training_pb2.REMINDER_PHASE_CLAIMED)
    assert claimed.recorded and claimed.claim_id
    assert not record(training, training_pb2.REMINDER_PHASE_CLAIMED).recorded
    # Still listed while only claimed: a scan meeting it knows its day is not complete.
    assert "C1" in expiring_staff(training)
    assert record(training, training_pb2.REMINDER_PHASE_SENT, claimed.claim_id).recorded
    assert "C1" not in expiring_staff(training)
    actions = [e.action for e in training_store.audit_log() if "C1 BLS" in e.subject]
    assert actions == ["REMINDER_CLAIMED", "REMINDER_SENT"]


def test_a_released_reminder_is_listed_again(training) -> None:  # noqa: ANN001
    claimed = record(training, training_pb2.REMINDER_PHASE_CLAIMED)
    assert record(training, training_pb2.REMINDER_PHASE_RELEASED, claimed.claim_id).recorded
    assert "C1" in expiring_staff(training)


def test_marking_sent_without_the_claim_id_names_the_field(training) -> None:  # noqa: ANN001
    with pytest.raises(grpc.RpcError) as error:
        record(training, training_pb2.REMINDER_PHASE_SENT)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "claim_id" in error.value.details()


def test_the_digest_lists_expired_and_upcoming_per_unit_with_its_managers(training) -> None:  # noqa: ANN001
    request = training_pb2.ListCertificationDigestRequest(
        on=common_pb2.Date(year=2026, month=6, day=15), upcoming_within_days=90)
    units = {u.unit_id: u for u in training.ListCertificationDigest(
        request, timeout=TIMEOUT, metadata=service_metadata()).units}
    assert set(units) == {"ICU"}  # ED has nothing expired or expiring within 90 days
    icu = units["ICU"]
    assert [m.staff_id for m in icu.managers] == ["M1"]
    assert [(e.record.staff_id, e.record.certification_code, e.record.days_left)
            for e in icu.expired] == [("N2", "ACLS", -15)]
    assert [(e.record.staff_id, e.record.days_left) for e in icu.upcoming] == [("C1", 30)]
    expired_only = training.ListCertificationDigest(
        training_pb2.ListCertificationDigestRequest(on=request.on), timeout=TIMEOUT,
        metadata=service_metadata()).units
    assert [len(u.upcoming) for u in expired_only] == [0]


def test_a_claim_over_the_rpc_says_when_it_took_over_a_stale_claim_and_from_when(
    training_store: TrainingStore,
) -> None:
    now = [NOW]
    server, port = create_server(store=training_store, clock=lambda: now[0])
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = training_pb2_grpc.TrainingServiceStub(channel)
            first = record(stub, training_pb2.REMINDER_PHASE_CLAIMED)
            assert first.recorded and not first.took_over_stale_claim
            assert not first.HasField("stale_claimed_at")
            now[0] = NOW + CLAIM_LEASE + timedelta(seconds=1)  # the first sender never settled
            second = record(stub, training_pb2.REMINDER_PHASE_CLAIMED)
            assert second.recorded and second.took_over_stale_claim
            assert second.stale_claimed_at.ToDatetime(tzinfo=NOW.tzinfo) == NOW
            assert record(stub, training_pb2.REMINDER_PHASE_SENT, second.claim_id).recorded
    finally:
        server.stop(None)
