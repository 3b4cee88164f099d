"""An idempotency key is claimed in the change's own transaction, over real gRPC on SQLite and
PostgreSQL: a burst of repeats is one effect, and a different request under a used key is
refused, not silently answered with the first."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import pytest
from sqlalchemy import func, select

from clinops import rpc
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from clinops.supplies.v1 import supplies_pb2, supplies_pb2_grpc
from services.staffing import server as staffing_server
from services.staffing.eligibility import CertificationAnswer
from services.staffing.outbox import OUTBOX
from services.staffing.store import StaffingStore
from services.staffing.store import migrate as migrate_staffing
from services.supplies import server as supplies_server
from services.supplies.store import SuppliesStore
from services.supplies.store import migrate as migrate_supplies
from tests.staffing import staffing_fixtures
from tests.supplies import supplies_fixtures

STAFFING_NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 10:00 in California
TIMEOUT = 30.0  # 200 calls queue behind one SQLite write lock; none should come near this
THREADS_PER_KEY = 20


class Eligible:
    def check(self, **_: object) -> CertificationAnswer:
        return CertificationAnswer(True)


def metadata(team: str, user: str, key: str) -> tuple[tuple[str, str], ...]:
    caller = rpc.caller_metadata(rpc.Caller(slack_team_id=team, slack_user_id=user))
    return (*caller, *rpc.idempotency_metadata(key))


@dataclass
class Staffing:
    stub: staffing_pb2_grpc.StaffingServiceStub
    store: StaffingStore


@pytest.fixture
def staffing(database_url: str) -> Iterator[Staffing]:
    migrate_staffing(database_url)
    store = StaffingStore.open(database_url)
    staffing_fixtures.populate(store)
    server, port = staffing_server.create_server(
        store=store, clock=fixed_clock(STAFFING_NOW), certifications=Eligible())
    server.start()
    channel = rpc.client_channel(f"127.0.0.1:{port}", None)
    yield Staffing(staffing_pb2_grpc.StaffingServiceStub(channel), store)
    channel.close()
    server.stop(None).wait()
    store.close()


def gap_report() -> staffing_pb2.ReportGapRequest:
    day = staffing_fixtures.SHIFT_DATE
    return staffing_pb2.ReportGapRequest(
        unit_id="ICU", role=staffing_pb2.STAFF_ROLE_RN, slots=1, shift=common_pb2.SHIFT_NIGHT,
        day=common_pb2.DaySpec(date=common_pb2.Date(year=day.year, month=day.month,
                                                    day=day.day)),
        reason="call-out")


def posts_waiting(store: StaffingStore) -> int:
    """Open shifts the bot would post into the unit channel (staffing's outbox)."""
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(OUTBOX).where(
            OUTBOX.c.kind == "open_shift.posted")).scalar_one()


@pytest.mark.parametrize("keys", [1, 10])
def test_twenty_clicks_at_once_on_each_key_open_one_shift_and_one_post_per_key(
    staffing: Staffing, keys: int,
) -> None:
    calls = [f"slack:trigger-{n % keys}" for n in range(keys * THREADS_PER_KEY)]
    start = threading.Barrier(len(calls))

    def report(key: str) -> str:
        start.wait(timeout=TIMEOUT)
        answer = staffing.stub.ReportGap(
            gap_report(), timeout=TIMEOUT,
            metadata=metadata(staffing_fixtures.TEAM, "US1", key))
        return answer.open_shift.open_shift_id

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        answered = list(pool.map(report, calls))

    assert len(staffing.store.list_open_shifts("ICU")) == keys
    assert posts_waiting(staffing.store) == keys
    # Every repeat got the first answer: one shift id per key, the same to all its callers.
    per_key: dict[str, set[str]] = {}
    for key, shift_id in zip(calls, answered, strict=True):
        per_key.setdefault(key, set()).add(shift_id)
    assert all(len(ids) == 1 for ids in per_key.values())
    assert len({ids.pop() for ids in per_key.values()}) == keys


def test_a_refused_report_is_audited_and_its_key_is_decided_afresh_when_sent_again(
    staffing: Staffing,
) -> None:
    nurse = metadata(staffing_fixtures.TEAM, "US2", "slack:gap")  # a staff nurse: refused
    with pytest.raises(grpc.RpcError) as refused:
        staffing.stub.ReportGap(gap_report(), timeout=TIMEOUT, metadata=nurse)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert staffing.store.list_open_shifts("ICU") == [] and posts_waiting(staffing.store) == 0
    # The refusal (staffing's authorisation table) is on the audit log; no claim was taken.
    [denied] = [entry for entry in staffing.store.audit_entries() if entry.outcome == "REFUSED"]
    assert (denied.action, denied.actor_user_id) == ("ReportGap", "US2")
    with pytest.raises(grpc.RpcError) as again:
        staffing.stub.ReportGap(gap_report(), timeout=TIMEOUT, metadata=nurse)
    assert again.value.code() == grpc.StatusCode.PERMISSION_DENIED
    charge = metadata(staffing_fixtures.TEAM, "US1", "slack:gap")
    opened = staffing.stub.ReportGap(gap_report(), timeout=TIMEOUT, metadata=charge)
    assert staffing.stub.ReportGap(gap_report(), timeout=TIMEOUT, metadata=charge) == opened
    assert len(staffing.store.list_open_shifts("ICU")) == 1


@pytest.fixture
def supplies(database_url: str) -> Iterator[tuple[supplies_pb2_grpc.SuppliesServiceStub,
                                                  SuppliesStore]]:
    migrate_supplies(database_url)
    store = SuppliesStore.open(database_url)
    supplies_fixtures.populate(store)
    server, port = supplies_server.create_server(store=store,
                                                 clock=fixed_clock(supplies_fixtures.NOW))
    server.start()
    channel = rpc.client_channel(f"127.0.0.1:{port}", None)
    yield supplies_pb2_grpc.SuppliesServiceStub(channel), store
    channel.close()
    server.stop(None).wait()
    store.close()


def test_a_recount_sent_under_a_used_key_is_already_exists_naming_the_key_and_not_dropped(
    supplies,  # noqa: ANN001
) -> None:
    stub, store = supplies
    nurse = supplies_fixtures.CHARGE_NURSE  # counts are the charge nurse's (supplies' table)
    key = "slack:view:count-1"
    sent = metadata(nurse.slack_team_id, nurse.slack_user_id, key)

    def count(quantity: int) -> supplies_pb2.RecordCountResponse:
        return stub.RecordCount(
            supplies_pb2.RecordCountRequest(unit_id="icu", sku="GLOVE-NIT-M", quantity=quantity),
            timeout=TIMEOUT, metadata=sent)

    first = count(50)
    assert count(50) == first  # the same request again: the first answer, counted once
    with pytest.raises(grpc.RpcError) as reused:
        count(77)
    assert reused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert repr(key) in reused.value.details()
    assert store.get_stock("ICU", "GLOVE-NIT-M").on_hand == 50
