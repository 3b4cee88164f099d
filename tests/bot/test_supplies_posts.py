"""Proposals a scheduled scan opens reach their unit channels: ScanReorders → post_new_proposals,
against the real supplies server (demo hospital, port 0) and the Slack stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import grpc
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.supplies import proposal_text
from bot.clients import SuppliesClient
from bot.supply_posts import PostedProposal, post_new_proposals
from clinops.clock import fixed_clock
from clinops.console import render_blocks
from clinops.demo.hospital import build_hospital
from clinops.rpc import Caller
from clinops.slack_standin import SlackStandIn
from clinops.supplies.v1 import supplies_pb2_grpc
from services.supplies.seed import seed_demo
from services.supplies.server import create_server
from services.supplies.store import SuppliesStore, migrate

NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
HOSPITAL = build_hospital(date(2026, 11, 26))
CHANNELS = {unit.unit_id: unit.slack_channel_id for unit in HOSPITAL.units}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SuppliesStore]:
    url = f"sqlite:///{tmp_path / 'supplies.db'}"
    migrate(url)
    opened = SuppliesStore.open(url)
    seed_demo(opened, HOSPITAL)
    yield opened
    opened.close()


@pytest.fixture
async def supplies(store: SuppliesStore) -> AsyncIterator[SuppliesClient]:
    server, port = create_server(store=store, clock=fixed_clock(NOW))
    server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    # A scheduled job acts for nobody in particular; the service's scan needs no identity.
    yield SuppliesClient(supplies_pb2_grpc.SuppliesServiceStub(channel), deadline_seconds=5)
    await channel.close()
    server.stop(grace=None)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id=HOSPITAL.team_id) as standin:
        yield standin


def web(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-posts", base_url=slack.base_url)


async def test_a_scans_proposals_are_posted_to_each_units_channel_and_their_place_recorded(
    supplies, store, slack
) -> None:
    proposals = await supplies.scan_reorders()
    assert {p.unit_id for p in proposals} == {"ICU", "5T", "4W", "ED"}
    posted = await post_new_proposals(web(slack), supplies, proposals)
    posts = slack.calls("chat.postMessage")
    assert sorted(c.body["channel"] for c in posts) == sorted(
        CHANNELS[p.unit_id] for p in proposals)
    for proposal, done in zip(proposals, posted, strict=True):
        assert done.new and done.channel_id == CHANNELS[proposal.unit_id]
        recorded = store.get_proposal(int(proposal.proposal_id.removeprefix("RP-")))
        assert (recorded.slack_channel_id, recorded.slack_message_ts) == (done.channel_id,
                                                                          done.ts)
    icu = next(c for c in posts if c.body["channel"] == CHANNELS["ICU"])
    assert "Reorder proposal RP-" in render_blocks(icu.body["blocks"])
    assert "[1] Approve   [2] Edit quantities   [3] Reject" in render_blocks(icu.body["blocks"])


async def test_a_second_scan_posts_nothing_new(supplies, slack) -> None:
    await post_new_proposals(web(slack), supplies, await supplies.scan_reorders())
    before = len(slack.calls("chat.postMessage"))
    again = await supplies.scan_reorders()
    assert again == []
    assert await post_new_proposals(web(slack), supplies, again) == []
    assert len(slack.calls("chat.postMessage")) == before


async def test_a_proposal_already_posted_is_updated_in_place_not_posted_twice(
    supplies, slack
) -> None:
    [icu] = await supplies.scan_reorders("ICU")
    [first] = await post_new_proposals(web(slack), supplies, [icu])
    # A count extends the open proposal: it comes back carrying where it was posted.
    nurse = supplies.acting_for(Caller(HOSPITAL.team_id, "U0ICU002"))
    extended = (await nurse.record_count("ICU", "GAUZE-4X4", 0)).proposal
    assert extended.slack_message_ts == first.ts
    [again] = await post_new_proposals(web(slack), supplies, [extended])
    assert again == PostedProposal(icu.proposal_id, first.channel_id, first.ts, new=False)
    assert len(slack.calls("chat.postMessage")) == 1
    [update] = slack.calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (first.channel_id, first.ts)
    assert update.body["text"] == proposal_text(extended)


async def test_a_unit_without_a_channel_is_skipped(supplies, slack) -> None:
    [icu] = await supplies.scan_reorders("ICU")
    icu.unit_slack_channel_id = ""
    assert await post_new_proposals(web(slack), supplies, [icu]) == []
    assert slack.calls("chat.postMessage") == []
