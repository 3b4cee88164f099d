"""Supplies' decisions travel as events: outbox → relay → Redis stream → notifier → the thread."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.notifier.announcements import Recording, announcement
from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from clinops.clock import fixed_clock
from clinops.outbox import InProcessStream, RedisPublisher, pending_events
from services.supplies import usecases
from services.supplies.errors import AlreadyDecided, NotAnApprover
from services.supplies.model import Actor, Decision
from services.supplies.outbox import OUTBOX, created_event_id, relay
from services.supplies.seed import seed_demo
from services.supplies.store import SuppliesStore, migrate
from tests.events.conftest import NOW, REDIS_URL

CLOCK = fixed_clock(NOW)
ICU_CHANNEL, POST_TS = "C0ICU0001", "1700000000.000200"
DENISE = Actor("T0CLINOPS", "U0ICU001")  # ICU manager: approves up to her limit
MAYA = Actor("T0CLINOPS", "U0ICU002")  # charge nurse: not an approver


def open_proposal(store: SuppliesStore, hospital, *, posted: bool = True) -> str:
    """A low count of CHG cloths in ICU opens RP-00001 ($696.00), posted in the ICU channel."""
    counted = usecases.record_count(unit_id="ICU", sku="CHG-CLOTH", quantity=2,
                                    caller=caller(hospital, MAYA), store=store, clock=CLOCK)
    assert counted.proposal is not None
    reference = counted.proposal.reference
    if posted:
        # Its proposal.created went out (published, posted) and the post was recorded.
        relay(store.engine, publisher=InProcessStream(), clock=CLOCK).publish_pending()
        usecases.set_proposal_message(proposal_id=reference, slack_channel_id=ICU_CHANNEL,
                                      slack_message_ts=POST_TS, store=store, clock=CLOCK)
    return reference


def caller(hospital, actor: Actor) -> Actor:
    return Actor(hospital.team_id, actor.slack_user_id)


def decide(store: SuppliesStore, hospital, reference: str, decision: Decision, *,
           who: Actor = DENISE, **kwargs):
    return usecases.decide_proposal(proposal_id=reference, decision=decision,
                                    caller=caller(hospital, who), store=store, clock=CLOCK,
                                    **kwargs)


@pytest.fixture
def supplies_store(database_url: str, hospital) -> Iterator[SuppliesStore]:
    migrate(database_url)
    store = SuppliesStore.open(database_url)
    seed_demo(store, hospital)
    yield store
    store.close()



def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_approval_writes_its_thread_line_in_the_same_transaction(supplies_store, hospital):
    reference = open_proposal(supplies_store, hospital)
    decide(supplies_store, hospital, reference, Decision.APPROVE)
    [event] = pending_events(supplies_store.engine, OUTBOX)
    assert (event.service, event.kind) == ("supplies", "proposal.decided")
    post = announcement(event)
    assert post is not None and (post.channel, post.thread_ts) == (ICU_CHANNEL, POST_TS)
    assert post.text == (":white_check_mark: Approved by <@U0ICU001> (Denise Okafor) at "
                         "2026-11-26 18:30 UTC — $696.00; purchase order PO-00001.")


def test_a_refused_decision_writes_no_event(supplies_store, hospital):
    reference = open_proposal(supplies_store, hospital)
    with pytest.raises(NotAnApprover):
        decide(supplies_store, hospital, reference, Decision.APPROVE, who=MAYA)
    assert pending_events(supplies_store.engine, OUTBOX) == []
    decide(supplies_store, hospital, reference, Decision.REJECT, reason="on the cart today")
    with pytest.raises(AlreadyDecided):
        decide(supplies_store, hospital, reference, Decision.APPROVE)
    [event] = pending_events(supplies_store.engine, OUTBOX)
    assert announcement(event).text == (  # type: ignore[union-attr]
        ":x: Rejected by <@U0ICU001> (Denise Okafor) at 2026-11-26 18:30 UTC. "
        "Reason: on the cart today\nI won't propose these items again until the count changes "
        "or until 2026-12-03 18:30 UTC.")


def test_an_edit_and_an_escalation_each_say_so_in_the_thread(supplies_store, hospital):
    reference = open_proposal(supplies_store, hospital)
    decide(supplies_store, hospital, reference, Decision.EDIT_QUANTITIES,
           edits=[("CHG-CLOTH", 470)])
    decide(supplies_store, hospital, reference, Decision.APPROVE)
    edited, escalated = [announcement(e) for e in pending_events(supplies_store.engine, OUTBOX)]
    assert edited is not None and edited.text == (
        ":pencil2: Quantities edited by <@U0ICU001>: CHG-CLOTH 480. New total $3,480.00.")
    assert escalated is not None and escalated.text.startswith(
        ":arrow_up: <@U0ICU001> (Denise Okafor) approved, but $3,480.00 is above their limit: "
        "escalated to <@U0SUP001> (Harold Jimenez) to decide.")


def test_opening_a_proposal_writes_its_post_as_an_event(supplies_store, hospital):
    reference = open_proposal(supplies_store, hospital, posted=False)
    [event] = pending_events(supplies_store.engine, OUTBOX)
    assert (event.kind, event.event_id) == ("proposal.created", created_event_id(reference))
    post = announcement(event)
    assert post is not None and post.channel == ICU_CHANNEL and post.current
    assert post.recording == Recording("proposal", reference)
    # A count that only extends the open proposal announces nothing new.
    usecases.record_count(unit_id="ICU", sku="GAUZE-4X4", quantity=0,
                          caller=caller(hospital, MAYA), store=supplies_store, clock=CLOCK)
    assert len(pending_events(supplies_store.engine, OUTBOX)) == 1


def test_a_decision_before_the_post_was_recorded_answers_in_the_thread_of_that_post(
        supplies_store, hospital):
    reference = open_proposal(supplies_store, hospital, posted=False)
    decide(supplies_store, hospital, reference, Decision.APPROVE)
    _, decided = pending_events(supplies_store.engine, OUTBOX)
    post = announcement(decided)
    assert post is not None and post.channel == ICU_CHANNEL and post.thread_ts is None
    assert post.thread_of == created_event_id(reference)


async def test_the_decision_is_posted_once_in_the_thread(supplies_store, hospital, slack,
                                                        event_stream, stream_name):
    reference = open_proposal(supplies_store, hospital)
    decide(supplies_store, hospital, reference, Decision.APPROVE)
    publisher = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    relaying = relay(supplies_store.engine, publisher=publisher, clock=CLOCK)
    assert relaying.publish_pending() == 1
    assert relaying.publish_pending() == 0
    publisher.close()
    bot = Notifier(stream=event_stream, consumer="bot-1", pacer=ChannelPacer(0),
                   client=AsyncWebClient(token="xoxb-events", base_url=slack.base_url))
    assert await bot.run_once() == 1
    assert await bot.run_once() == 0
    [post] = slack.calls("chat.postMessage")
    assert (post.body["channel"], post.body["thread_ts"]) == (ICU_CHANNEL, POST_TS)
    assert post.body["text"].startswith(":white_check_mark: Approved by <@U0ICU001>")


async def test_decisions_made_while_redis_is_down_are_posted_once_when_it_returns(
        supplies_store, hospital, slack, event_stream, stream_name):
    reference = open_proposal(supplies_store, hospital)
    decide(supplies_store, hospital, reference, Decision.REJECT, reason="on the cart today")
    down = RedisPublisher.from_url(f"redis://127.0.0.1:{closed_port()}/0", stream=stream_name)
    assert relay(supplies_store.engine, publisher=down, clock=CLOCK).publish_pending() == 0
    down.close()
    assert len(pending_events(supplies_store.engine, OUTBOX)) == 1
    back = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    relaying = relay(supplies_store.engine, publisher=back, clock=CLOCK)
    assert relaying.publish_pending() == 1
    assert relaying.publish_pending() == 0
    back.close()
    bot = Notifier(stream=event_stream, consumer="bot-1", pacer=ChannelPacer(0),
                   client=AsyncWebClient(token="xoxb-events", base_url=slack.base_url))
    for _ in range(3):
        await bot.run_once()
    texts = [c.body["text"] for c in slack.calls("chat.postMessage")]
    assert texts == [":x: Rejected by <@U0ICU001> (Denise Okafor) at 2026-11-26 18:30 UTC. "
                     "Reason: on the cart today\nI won't propose these items again until the "
                     "count changes or until 2026-12-03 18:30 UTC."]
