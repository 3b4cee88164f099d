"""Proposals a scheduled scan (or a count) opens reach their unit channels as supplies'
proposal.created events: outbox → notifier → the post with its buttons, its ts recorded back
through SetProposalMessage; post_new_proposals keeps extended ones current. Against the real
supplies server (demo hospital, port 0) and the Slack stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime

import grpc
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.supplies import proposal_text
from bot.clients import SuppliesClient
from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from bot.notifier.recording import ServiceRecorder
from bot.notifier.stream import InProcessEventStream
from bot.supply_posts import PostedProposal, post_new_proposals
from clinops.clock import fixed_clock
from clinops.console import render_blocks
from clinops.demo.hospital import build_hospital
from clinops.outbox import InProcessStream
from clinops.rpc import Caller
from clinops.slack_standin import SlackStandIn
from clinops.supplies.v1 import supplies_pb2_grpc
from services.supplies.outbox import relay
from services.supplies.seed import seed_demo
from services.supplies.server import create_server
from services.supplies.store import SuppliesStore, migrate
from tests.conftest import Prepare, demo_database

NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
HOSPITAL = build_hospital(date(2026, 11, 26))
CHANNELS = {unit.unit_id: unit.slack_channel_id for unit in HOSPITAL.units}


@pytest.fixture
def store(prepared_database: Prepare) -> Iterator[SuppliesStore]:
    opened = SuppliesStore.open(demo_database(prepared_database, "supplies", migrate,
                                              SuppliesStore.open, seed_demo, HOSPITAL))
    yield opened
    opened.close()


@pytest.fixture
async def supplies(store: SuppliesStore) -> AsyncIterator[SuppliesClient]:
    server, port = create_server(store=store, clock=fixed_clock(NOW))
    server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    # A scheduled job acts for nobody in particular; the service's scan needs no identity.
    # The scheduler's client (scans), as itself: the scheduler credential (clinops.authz).
    yield SuppliesClient(supplies_pb2_grpc.SuppliesServiceStub(channel),
                         deadline_seconds=5).as_service()
    await channel.close()
    server.stop(grace=None)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id=HOSPITAL.team_id) as standin:
        yield standin


def web(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-posts", base_url=slack.base_url)


class Announcer:
    """Supplies' outbox → in-process stream → the notifier, recording posts through `supplies`."""

    def __init__(self, store: SuppliesStore, supplies: SuppliesClient, slack: SlackStandIn):
        stream = InProcessStream()
        self.relay = relay(store.engine, publisher=stream, clock=fixed_clock(NOW))
        client = web(slack)
        self.notifier = Notifier(
            stream=InProcessEventStream(stream), client=client, consumer="posts",
            pacer=ChannelPacer(0),
            recorder=ServiceRecorder(staffing=None, supplies=supplies, slack=client))

    async def deliver(self) -> int:
        self.relay.publish_pending()
        return await self.notifier.run_once()


def reference_number(proposal_id: str) -> int:
    return int(proposal_id.removeprefix("RP-"))


async def test_a_scans_proposals_are_posted_to_each_units_channel_and_their_place_recorded(
    supplies, store, slack
) -> None:
    proposals = await supplies.scan_reorders()
    assert len({p.unit_id for p in proposals}) == len(proposals) > 1 and "ICU" in {
        p.unit_id for p in proposals}
    assert slack.calls("chat.postMessage") == []  # the scan itself posts nothing
    assert await Announcer(store, supplies, slack).deliver() == len(proposals)
    posts = slack.calls("chat.postMessage")
    assert sorted(c.body["channel"] for c in posts) == sorted(
        CHANNELS[p.unit_id] for p in proposals)
    for proposal in proposals:
        [post] = [c for c in posts if c.body["channel"] == CHANNELS[proposal.unit_id]]
        recorded = store.get_proposal(reference_number(proposal.proposal_id))
        assert (recorded.slack_channel_id, recorded.slack_message_ts) == (
            post.body["channel"], post.answer["ts"])
    icu = next(c for c in posts if c.body["channel"] == CHANNELS["ICU"])
    assert "Reorder proposal RP-" in render_blocks(icu.body["blocks"])
    assert "[1] Approve   [2] Edit quantities   [3] Reject" in render_blocks(icu.body["blocks"])


async def test_a_second_scan_posts_nothing_new(supplies, store, slack) -> None:
    announcer = Announcer(store, supplies, slack)
    await supplies.scan_reorders()
    await announcer.deliver()
    before = len(slack.calls("chat.postMessage"))
    assert await supplies.scan_reorders() == []
    assert await announcer.deliver() == 0
    assert len(slack.calls("chat.postMessage")) == before


async def test_a_proposal_already_posted_is_updated_in_place_not_posted_twice(
    supplies, store, slack
) -> None:
    [icu] = await supplies.scan_reorders("ICU")
    announcer = Announcer(store, supplies, slack)
    await announcer.deliver()
    [post] = slack.calls("chat.postMessage")
    # A count extends the open proposal: it comes back carrying where it was posted.
    nurse = supplies.acting_for(Caller(HOSPITAL.team_id, "U0ICU002"))
    extended = (await nurse.record_count("ICU", "GAUZE-4X4", 0)).proposal
    assert extended.slack_message_ts == post.answer["ts"]
    [again] = await post_new_proposals(web(slack), supplies, [extended])
    assert again == PostedProposal(icu.proposal_id, post.body["channel"], post.answer["ts"],
                                   new=False)
    assert await announcer.deliver() == 0  # extending announces nothing new
    assert len(slack.calls("chat.postMessage")) == 1
    [update] = slack.calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (post.body["channel"],
                                                           post.answer["ts"])
    assert update.body["text"] == proposal_text(extended)


async def test_a_proposal_extended_before_its_post_is_posted_as_it_stands(
    supplies, store, slack
) -> None:
    [icu] = await supplies.scan_reorders("ICU")
    nurse = supplies.acting_for(Caller(HOSPITAL.team_id, "U0ICU002"))
    extended = (await nurse.record_count("ICU", "GAUZE-4X4", 0)).proposal
    assert len(extended.lines) > len(icu.lines)
    # Not posted yet: the count's listener leaves it to the notifier.
    assert await post_new_proposals(web(slack), supplies, [extended]) == []
    await Announcer(store, supplies, slack).deliver()
    [post] = slack.calls("chat.postMessage")
    assert post.body["text"] == proposal_text(extended)
    assert "GAUZE-4X4" in render_blocks(post.body["blocks"])


async def test_a_unit_without_a_channel_gets_no_post(supplies, store, slack) -> None:
    store.engine.dispose()
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE units SET slack_channel_id = '' WHERE unit_id = 'ICU'")
    [icu] = await supplies.scan_reorders("ICU")
    assert await Announcer(store, supplies, slack).deliver() == 0
    assert await post_new_proposals(web(slack), supplies, [icu]) == []
    assert slack.calls("chat.postMessage") == []
