"""Training's renewals travel as events: each reviewer's DM (with Verify and Reject) and the
submitter's DM with the decision come from the outbox."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.notifier.announcements import announcement
from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from clinops.clock import fixed_clock
from clinops.outbox import RedisPublisher, pending_events
from services.training import usecases
from services.training.errors import AlreadyDecided, InvalidInput, NotPermitted
from services.training.outbox import OUTBOX, relay
from services.training.seed import seed_demo
from services.training.store import TrainingStore, migrate
from tests.events.conftest import NOW, REDIS_URL

CLOCK = fixed_clock(NOW)
RENEWED = date(2028, 11, 30)
DEREK, ELAINE, MAYA = "U0ICU012", "U0EDU001", "U0ICU002"  # staff RN, educator, charge RN


@pytest.fixture
def training_store(database_url: str, hospital) -> Iterator[TrainingStore]:
    migrate(database_url)
    store = TrainingStore.open(database_url)
    seed_demo(store, hospital)
    yield store
    store.close()



def submit_dereks_acls(store: TrainingStore, hospital) -> str:
    view = usecases.submit_renewal(
        certification_code="ACLS", expires_on=RENEWED, issued_on=None,
        evidence_reference="card photo", slack_team_id=hospital.team_id, slack_user_id=DEREK,
        store=store, clock=CLOCK)
    return view.renewal.renewal_id


def decide(store: TrainingStore, hospital, renewal_id: str, *, verify: bool, reason: str = "",
           who: str = ELAINE):
    return usecases.decide_renewal(renewal_id=renewal_id, verify=verify, reason=reason,
                                   slack_team_id=hospital.team_id, slack_user_id=who,
                                   store=store, clock=CLOCK)


def decided_events(store: TrainingStore) -> list:
    return [e for e in pending_events(store.engine, OUTBOX) if e.kind == "renewal.decided"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def notifier(event_stream, slack) -> Notifier:
    return Notifier(stream=event_stream, consumer="bot-1", pacer=ChannelPacer(0),
                    client=AsyncWebClient(token="xoxb-events", base_url=slack.base_url))


def test_a_verification_writes_dereks_dm_in_the_same_transaction(training_store, hospital):
    renewal_id = submit_dereks_acls(training_store, hospital)
    assert decided_events(training_store) == []
    decide(training_store, hospital, renewal_id, verify=True)
    [event] = decided_events(training_store)
    assert (event.service, event.kind) == ("training", "renewal.decided")
    post = announcement(event)
    assert post is not None and post.user == DEREK
    assert post.text == ("Your ACLS renewal was verified by Elaine Brennan: your record now runs "
                         "through 2028-11-30.")


def test_a_refused_decision_writes_no_event(training_store, hospital):
    renewal_id = submit_dereks_acls(training_store, hospital)
    with pytest.raises(NotPermitted):
        decide(training_store, hospital, renewal_id, verify=True, who=DEREK)  # his own
    with pytest.raises(NotPermitted):
        decide(training_store, hospital, renewal_id, verify=True, who=MAYA)  # not his reviewer
    assert decided_events(training_store) == []
    decide(training_store, hospital, renewal_id, verify=False, reason="the card is cut off")
    with pytest.raises(AlreadyDecided):
        decide(training_store, hospital, renewal_id, verify=True)
    [event] = decided_events(training_store)
    assert announcement(event).text.startswith(  # type: ignore[union-attr]
        "Your ACLS renewal was rejected by Elaine Brennan. Reason: the card is cut off")


async def test_dereks_dm_is_sent_once(training_store, hospital, slack, event_stream,
                                      stream_name):
    renewal_id = submit_dereks_acls(training_store, hospital)
    publisher = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    relaying = relay(training_store.engine, publisher=publisher, clock=CLOCK)
    reviewers = relaying.publish_pending()
    bot = notifier(event_stream, slack)
    assert await bot.run_once() == reviewers
    slack.clear()
    decide(training_store, hospital, renewal_id, verify=True)
    assert relaying.publish_pending() == 1
    assert relaying.publish_pending() == 0
    publisher.close()
    assert await bot.run_once() == 1
    assert await bot.run_once() == 0
    [opened] = slack.calls("conversations.open")
    assert opened.body["users"] == DEREK
    [post] = slack.calls("chat.postMessage")
    assert post.body["channel"] == opened.answer["channel"]["id"]
    assert post.body["text"].startswith("Your ACLS renewal was verified by Elaine Brennan")


async def test_a_rejection_made_while_redis_is_down_reaches_derek_once_when_it_returns(
        training_store, hospital, slack, event_stream, stream_name):
    renewal_id = submit_dereks_acls(training_store, hospital)
    decide(training_store, hospital, renewal_id, verify=False, reason="the card is cut off")
    down = RedisPublisher.from_url(f"redis://127.0.0.1:{closed_port()}/0", stream=stream_name)
    assert relay(training_store.engine, publisher=down, clock=CLOCK).publish_pending() == 0
    down.close()
    waiting = pending_events(training_store.engine, OUTBOX)
    assert [e.kind for e in waiting][-1] == "renewal.decided"
    back = RedisPublisher.from_url(REDIS_URL, stream=stream_name)
    relaying = relay(training_store.engine, publisher=back, clock=CLOCK)
    assert relaying.publish_pending() == len(waiting)
    assert relaying.publish_pending() == 0
    back.close()
    bot = notifier(event_stream, slack)
    for _ in range(3):
        await bot.run_once()
    [post] = [c for c in slack.calls("chat.postMessage") if c.body["channel"] == f"D{DEREK}"]
    assert post.body["text"].startswith(
        "Your ACLS renewal was rejected by Elaine Brennan. Reason: the card is cut off")


def test_a_submission_writes_one_dm_per_reviewer_with_verify_and_reject(training_store, hospital):
    renewal_id = submit_dereks_acls(training_store, hospital)
    events = pending_events(training_store.engine, OUTBOX)
    assert {e.kind for e in events} == {"renewal.submitted"}
    posts = [announcement(e) for e in events]
    users = {p.user for p in posts if p is not None}
    assert ELAINE in users and DEREK not in users and MAYA not in users
    post = next(p for p in posts if p is not None and p.user == ELAINE)
    assert post.text == "Derek Lindqvist submitted ACLS renewal, expires 2028-11-30"
    [actions] = [b for b in post.blocks if b["type"] == "actions"]
    assert [(e["text"]["text"], e["value"]) for e in actions["elements"]] == [
        ("Verify", renewal_id), ("Reject", renewal_id)]


def test_a_refused_submission_writes_no_event(training_store, hospital):
    with pytest.raises(InvalidInput):
        usecases.submit_renewal(
            certification_code="ACLS", expires_on=date(2020, 1, 31), issued_on=None,
            evidence_reference="", slack_team_id=hospital.team_id, slack_user_id=DEREK,
            store=training_store, clock=CLOCK)
    assert pending_events(training_store.engine, OUTBOX) == []
