"""Month-to-date spend is what was approved this month at the facility, against the budget."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from google.protobuf import timestamp_pb2

from bot.digest import month_to_date_spend
from clinops.supplies.v1 import supplies_pb2

LA = ZoneInfo("America/Los_Angeles")


def _proposal(state: int, total: int, decided: datetime | None) -> supplies_pb2.Proposal:
    proposal = supplies_pb2.Proposal(state=state, total_cents=total,
                                     monthly_budget_cents=4_000_000)
    if decided is not None:
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(decided)
        proposal.decided_at.CopyFrom(stamp)
    return proposal


def test_only_proposals_approved_this_month_in_facility_time_count():
    approved = supplies_pb2.PROPOSAL_STATE_APPROVED
    proposals = [
        _proposal(approved, 10_000, datetime(2026, 11, 3, 17, 0, tzinfo=UTC)),
        # 1 December 05:00 UTC is still 30 November in Los Angeles.
        _proposal(approved, 20_000, datetime(2026, 12, 1, 5, 0, tzinfo=UTC)),
        _proposal(approved, 40_000, datetime(2026, 10, 31, 17, 0, tzinfo=UTC)),
        _proposal(supplies_pb2.PROPOSAL_STATE_REJECTED, 80_000,
                  datetime(2026, 11, 4, 17, 0, tzinfo=UTC)),
        _proposal(supplies_pb2.PROPOSAL_STATE_OPEN, 160_000, None),
    ]
    assert month_to_date_spend(proposals, today=date(2026, 11, 30), zone=LA) == (
        30_000, 4_000_000)


def test_no_proposals_means_nothing_spent_and_no_budget_known():
    assert month_to_date_spend([], today=date(2026, 11, 30), zone=LA) == (0, 0)
