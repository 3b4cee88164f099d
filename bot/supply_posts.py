"""Putting reorder proposals where the unit sees them, whoever opened them.

A count listener, a stock import or a scheduled scan (ScanReorders) all end with proposals the
unit's channel has not seen yet: `post_new_proposals` posts each to its unit's channel and tells
the supplies service where (SetProposalMessage), so decisions reply in its thread and update it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.supplies import proposal_blocks, proposal_text
from bot.clients import SuppliesClient
from clinops.supplies.v1 import supplies_pb2


@dataclass(frozen=True)
class PostedProposal:
    proposal_id: str
    channel_id: str
    ts: str
    # False when it was already posted and its message was updated in place.
    new: bool


async def post_new_proposals(
    client: AsyncWebClient, supplies: SuppliesClient,
    proposals: Iterable[supplies_pb2.Proposal],
) -> list[PostedProposal]:
    """Post each proposal not yet in Slack to its unit's channel and record where; update the
    ones already posted (a count extended them). A unit without a channel is skipped."""
    done = []
    for proposal in proposals:
        if proposal.slack_message_ts:
            await client.chat_update(channel=proposal.slack_channel_id,
                                     ts=proposal.slack_message_ts,
                                     blocks=proposal_blocks(proposal),
                                     text=proposal_text(proposal))
            done.append(PostedProposal(proposal.proposal_id, proposal.slack_channel_id,
                                       proposal.slack_message_ts, new=False))
            continue
        channel = proposal.unit_slack_channel_id
        if not channel:
            continue
        posted = await client.chat_postMessage(channel=channel, blocks=proposal_blocks(proposal),
                                               text=proposal_text(proposal))
        await supplies.set_proposal_message(proposal.proposal_id, posted["channel"],
                                            posted["ts"])
        done.append(PostedProposal(proposal.proposal_id, posted["channel"], posted["ts"],
                                   new=True))
    return done


async def show_decision(proposal: supplies_pb2.Proposal, client: AsyncWebClient) -> None:
    """The parent message showing the proposal's new state. The line in its thread comes from
    supplies' proposal.decided event (outbox → stream → notifier), not from here."""
    if not (proposal.slack_channel_id and proposal.slack_message_ts):
        return
    await client.chat_update(channel=proposal.slack_channel_id, ts=proposal.slack_message_ts,
                             blocks=proposal_blocks(proposal), text=proposal_text(proposal))
