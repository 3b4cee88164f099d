"""GetUnitBudget over real gRPC: a unit's budget and month-to-date spend, no proposal needed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
import pytest

from clinops import rpc
from clinops.common.v1 import common_pb2
from clinops.supplies.v1 import supplies_pb2 as pb
from clinops.supplies.v1 import supplies_pb2_grpc
from services.supplies.model import Unit
from services.supplies.server import create_server
from services.supplies.store import SuppliesStore
from tests.supplies.supplies_fixtures import CHARGE_NURSE, MANAGER, NOW

TIMEOUT = 5.0


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def supplies(store: SuppliesStore, clock: Clock
             ) -> Iterator[supplies_pb2_grpc.SuppliesServiceStub]:
    server, port = create_server(store=store, clock=clock)
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield supplies_pb2_grpc.SuppliesServiceStub(channel)
    server.stop(None)


def budget(stub: supplies_pb2_grpc.SuppliesServiceStub, unit_id: str) -> pb.GetUnitBudgetResponse:
    return stub.GetUnitBudget(pb.GetUnitBudgetRequest(unit_id=unit_id), timeout=TIMEOUT)


def approve_a_chg_order(stub: supplies_pb2_grpc.SuppliesServiceStub) -> int:
    """Count CHG low on ICU and approve the proposal; returns its total in cents."""
    def meta(actor):  # noqa: ANN001, ANN202
        return rpc.caller_metadata(rpc.Caller(actor.slack_team_id, actor.slack_user_id))
    proposal = stub.RecordCount(pb.RecordCountRequest(unit_id="ICU", sku="CHG-CLOTH", quantity=20),
                                timeout=TIMEOUT, metadata=meta(CHARGE_NURSE)).proposal
    approved = stub.DecideProposal(pb.DecideProposalRequest(
        proposal_id=proposal.proposal_id, decision=pb.DECISION_APPROVE), timeout=TIMEOUT,
        metadata=meta(MANAGER)).proposal
    assert approved.state == pb.PROPOSAL_STATE_APPROVED
    return approved.total_cents


def test_a_unit_with_no_proposal_has_its_budget_and_nothing_spent(supplies) -> None:  # noqa: ANN001
    answer = budget(supplies, "4w")
    assert answer.unit_id == "4W"
    assert (answer.monthly_budget_cents, answer.month_to_date_spend_cents) == (1_000_000, 0)
    assert answer.month_start == common_pb2.Date(year=2026, month=11, day=1)
    assert answer.time_zone == "America/Los_Angeles"


def test_an_approved_order_counts_until_the_facility_month_ends(supplies, clock) -> None:  # noqa: ANN001
    total = approve_a_chg_order(supplies)
    assert budget(supplies, "ICU").month_to_date_spend_cents == total == 72 * 725
    assert budget(supplies, "4W").month_to_date_spend_cents == 0
    # 23:30 on 30 November in California is already 1 December in UTC: still November there.
    clock.now = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    answer = budget(supplies, "ICU")
    assert answer.month_to_date_spend_cents == total
    assert answer.month_start == common_pb2.Date(year=2026, month=11, day=1)
    # 00:30 on 1 December in California: a new month, nothing spent yet.
    clock.now = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    answer = budget(supplies, "ICU")
    assert answer.month_to_date_spend_cents == 0
    assert answer.month_start == common_pb2.Date(year=2026, month=12, day=1)


def test_a_bad_unit_id_is_invalid_and_an_unknown_one_not_found(supplies) -> None:  # noqa: ANN001
    for unit_id, violation in (("", "required"), ("ICU;drop", None)):
        with pytest.raises(grpc.RpcError) as error:
            budget(supplies, unit_id)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        violations = rpc.field_violations(error.value)
        assert "unit_id" in violations
        if violation:
            assert violations["unit_id"] == violation
    with pytest.raises(grpc.RpcError) as error:
        budget(supplies, "5E")
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_unit_of_another_facility_counts_its_own_month(store: SuppliesStore,  # noqa: ANN001
                                                         supplies, clock) -> None:
    store.add_unit(Unit("SDU", "Step-Down Unit", "C_SDU", "America/Denver", 500_000, "FR"))
    assert store.get_unit("SDU").facility_id == "FR"
    # 23:30 on 30 November in Denver (06:30 UTC on 1 December): still November there.
    clock.now = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    answer = budget(supplies, "SDU")
    assert (answer.time_zone, answer.month_start) == ("America/Denver",
                                                      common_pb2.Date(year=2026, month=11, day=1))
    # 00:30 on 1 December in Denver is still November in California.
    clock.now = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    assert budget(supplies, "SDU").month_start.month == 12
    assert budget(supplies, "ICU").month_start.month == 11
