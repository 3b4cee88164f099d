"""A service killed between the change's commit and its reply: the retry with the same key gets
the first answer and nothing happens twice, on SQLite and PostgreSQL.

The service runs as `clinops serve <service>` in its own process, with the test-only fault
CLINOPS_FAULT_EXIT_AFTER_COMMIT naming the method: the process ends right after that call's
transaction commits, before the reply is sent, as a crash or the OOM killer would leave it. It
is then started again without the fault on the same database.
"""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from sqlalchemy import func, select

from clinops import imports, rpc
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from services.staffing.outbox import OUTBOX
from services.staffing.store import StaffingStore
from services.staffing.store import migrate as migrate_staffing
from services.supplies import usecases as supplies_usecases
from services.supplies.model import Decision
from services.supplies.store import SuppliesStore
from services.supplies.store import migrate as migrate_supplies
from tests.faults.fault_fixtures import ServiceProcess
from tests.staffing import staffing_fixtures
from tests.supplies import supplies_fixtures

TIMEOUT = 10.0


def died_after_commit(service: ServiceProcess) -> None:
    """The process ended through the fault hook (exit status 70), not some other way."""
    assert service.process is not None
    assert service.process.wait(timeout=TIMEOUT) == 70


def test_a_gap_report_retried_after_the_service_died_before_replying_opens_one_shift(
    database_url: str, tmp_path: Path,
) -> None:
    migrate_staffing(database_url)
    store = StaffingStore.open(database_url)
    staffing_fixtures.populate(store)
    charge_nurse = rpc.Caller(staffing_fixtures.TEAM, "US1")
    sent = (*rpc.caller_metadata(charge_nurse), *rpc.idempotency_metadata("slack:trigger-crash"))
    request = staffing_pb2.ReportGapRequest(
        unit_id="ICU", role=staffing_pb2.STAFF_ROLE_RN, slots=1, shift=common_pb2.SHIFT_NIGHT,
        # Tomorrow: the process runs on the real clock.
        day=common_pb2.DaySpec(relative=common_pb2.RELATIVE_DAY_TOMORROW), reason="call-out")
    staffing = ServiceProcess("staffing", database_url, tmp_path / "staffing.log",
                              env={rpc.FAULT_EXIT_AFTER_COMMIT: "ReportGap"}).start()
    try:
        with (grpc.insecure_channel(staffing.target) as channel,
              pytest.raises(grpc.RpcError) as lost):
            staffing_pb2_grpc.StaffingServiceStub(channel).ReportGap(
                request, timeout=TIMEOUT, metadata=sent)
        assert lost.value.code() == grpc.StatusCode.UNAVAILABLE  # no reply ever came
        died_after_commit(staffing)
        [opened] = store.list_open_shifts("ICU")  # it did commit

        staffing.env = {}
        staffing.start()
        with grpc.insecure_channel(staffing.target) as channel:
            answer = staffing_pb2_grpc.StaffingServiceStub(channel).ReportGap(
                request, timeout=TIMEOUT, metadata=sent)
        assert answer.open_shift.open_shift_id == opened.open_shift_id  # the first answer
        assert len(store.list_open_shifts("ICU")) == 1
        with store.engine.connect() as connection:
            posts = connection.execute(select(func.count()).select_from(OUTBOX).where(
                OUTBOX.c.kind == "open_shift.posted")).scalar_one()
        assert posts == 1  # one post in the unit channel, not two
    finally:
        staffing.kill()
        store.close()


def test_a_receipts_import_rerun_after_the_service_died_before_replying_receives_once(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    migrate_supplies(database_url)
    store = SuppliesStore.open(database_url)
    supplies_fixtures.populate(store)
    clock = fixed_clock(supplies_fixtures.NOW)
    counted = supplies_usecases.record_count(
        unit_id="ICU", sku="CHG-CLOTH", quantity=2, caller=supplies_fixtures.NURSE,
        store=store, clock=clock)
    assert counted.proposal is not None
    order = supplies_usecases.decide_proposal(
        proposal_id=counted.proposal.reference, decision=Decision.APPROVE,
        caller=supplies_fixtures.DIRECTOR, store=store, clock=clock)
    before = store.get_stock("ICU", "CHG-CLOTH")
    dock = tmp_path / "dock.csv"
    dock.write_text(f"PO Number,Item Number,Qty Received\n{order.purchase_order_id},"
                    "CHG-CLOTH,48\n", encoding="utf-8")
    supplies = ServiceProcess("supplies", database_url, tmp_path / "supplies.log",
                              env={rpc.FAULT_EXIT_AFTER_COMMIT: "ImportReceipts"}).start()
    monkeypatch.setenv("CLINOPS_SUPPLIES_TARGET", supplies.target)
    for name in ("CLINOPS_TLS_ROOT_CERT_FILE", "CLINOPS_SERVICE_TOKEN",
                 "CLINOPS_SERVICE_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    receiver = supplies_fixtures.CHARGE_NURSE  # ICU's charge nurse receives the delivery
    clerk = f"{receiver.slack_team_id}:{receiver.slack_user_id}"
    try:
        lost = imports.run("receipts", dock, caller_text=clerk)
        assert not lost.ok
        died_after_commit(supplies)
        assert store.get_stock("ICU", "CHG-CLOTH").on_hand == before.on_hand + 48

        supplies.env = {}
        supplies.start()
        rerun = imports.run("receipts", dock, caller_text=clerk)  # the same file, as told
        assert rerun.ok, rerun.lines
        assert rerun.lines[0] == "1 row written, 1 purchase order received into stock"
        after = store.get_stock("ICU", "CHG-CLOTH")
        assert (after.on_hand, after.on_order) == (before.on_hand + 48, before.on_order - 48)
    finally:
        supplies.kill()
        store.close()
