"""DecideProposal naming the proposal by the message it was posted as (a reply in its thread)."""

from __future__ import annotations

import grpc

from clinops import rpc
from clinops.supplies.v1 import supplies_pb2 as pb
from tests.supplies.supplies_fixtures import MANAGER, NURSE
from tests.supplies.test_servicer import TIMEOUT, count, decide, refused

# Fixtures from the servicer tests: the real server on port 0 with the small ICU.
from tests.supplies.test_servicer import channel, supplies  # noqa: F401  isort: skip

TS = "1795717800.000100"


def posted(stub, channel_id: str = "C_ICU", ts: str = TS) -> str:  # noqa: ANN001
    proposal_id = count(stub, "CHG-CLOTH", 20).proposal.proposal_id
    stub.SetProposalMessage(pb.SetProposalMessageRequest(
        proposal_id=proposal_id, slack_channel_id=channel_id, slack_message_ts=ts),
        timeout=TIMEOUT, metadata=rpc.caller_metadata(rpc.Caller(MANAGER.slack_team_id,
                                                                 MANAGER.slack_user_id)))
    return proposal_id


def test_approve_replied_in_the_proposals_thread_decides_that_proposal(supplies) -> None:  # noqa: ANN001, F811
    proposal_id = posted(supplies)
    approved = decide(supplies, "", MANAGER, key="slack:event:Ev1",
                      decision=pb.DECISION_APPROVE, slack_channel_id="C_ICU",
                      slack_message_ts=TS)
    assert approved.proposal_id == proposal_id
    assert approved.state == pb.PROPOSAL_STATE_APPROVED and approved.purchase_order_id


def test_a_reply_in_a_thread_that_is_no_proposal_is_not_found(supplies) -> None:  # noqa: ANN001, F811
    posted(supplies)
    error = refused(lambda: decide(supplies, "", MANAGER, decision=pb.DECISION_APPROVE,
                                   slack_channel_id="C_ICU", slack_message_ts="1.000001"))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "no reorder proposal was posted at C_ICU 1.000001" in error.details()


def test_reject_without_a_reason_in_a_proposals_thread_names_the_reason_field(supplies) -> None:  # noqa: ANN001, F811
    posted(supplies)
    error = refused(lambda: decide(supplies, "", MANAGER, decision=pb.DECISION_REJECT,
                                   slack_channel_id="C_ICU", slack_message_ts=TS))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rpc.field_violations(error) == {"reason": "a rejection needs a reason"}


def test_a_nurse_replying_approve_in_the_thread_is_refused(supplies) -> None:  # noqa: ANN001, F811
    posted(supplies)
    error = refused(lambda: decide(supplies, "", NURSE, decision=pb.DECISION_APPROVE,
                                   slack_channel_id="C_ICU", slack_message_ts=TS))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_channel_without_a_ts_names_the_missing_field(supplies) -> None:  # noqa: ANN001, F811
    error = refused(lambda: decide(supplies, "", MANAGER, decision=pb.DECISION_APPROVE,
                                   slack_channel_id="C_ICU"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(rpc.field_violations(error)) == {"slack_message_ts"}
