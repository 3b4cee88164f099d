"""Keeping reorder proposals' posts current, whoever opened or extended them.

A new proposal's post is supplies' `proposal.created` event, committed with the proposal (count,
import or scan): the notifier posts it to the unit's channel and tells supplies where
(SetProposalMessage), so decisions reply in its thread and update it. What is left here: a
proposal extended after its post gets the post updated in place.
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
    """Update the posts of proposals already in Slack (a count extended them). One not posted
    yet is left to the notifier (its proposal.created event): posting it here too would post
    it twice. A unit without a channel is skipped."""
    done = []
    for proposal in proposals:
        if not proposal.slack_message_ts:
            continue
        await client.chat_update(channel=proposal.slack_channel_id,
                                 ts=proposal.slack_message_ts,
                                 blocks=proposal_blocks(proposal),
                                 text=proposal_text(proposal))
        done.append(PostedProposal(proposal.proposal_id, proposal.slack_channel_id,
                                   proposal.slack_message_ts, new=False))
    return done


async def show_decision(proposal: supplies_pb2.Proposal, client: AsyncWebClient) -> None:
    """The parent message showing the proposal's new state. The line in its thread comes from
    supplies' proposal.decided event (outbox → stream → notifier), not from here."""
    if not (proposal.slack_channel_id and proposal.slack_message_ts):
        return
    await client.chat_update(channel=proposal.slack_channel_id, ts=proposal.slack_message_ts,
                             blocks=proposal_blocks(proposal), text=proposal_text(proposal))
