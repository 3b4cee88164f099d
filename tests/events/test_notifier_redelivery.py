"""A post Slack took but the notifier never recorded: the next reader finds it by event id in the
message metadata (channel history, or the thread's replies) and does not post it again."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.notifier.notifier import EVENT_METADATA_TYPE
from bot.notifier.stream import RedisEventStream
from clinops.outbox import Event
from tests.events.test_notifier import delivered, notifier, plain_client, publish

AT = datetime.now(UTC)


class DiesAfterSlackTookThePost(RedisEventStream):
    """The reader that dies right after chat.postMessage answered, before anything was kept."""

    async def remember_posted(self, event_id: str, ts: str) -> None:
        raise RuntimeError("killed after Slack accepted, before recording")


def renewal_verified(user: str) -> Event:
    return Event(kind="renewal.decided", service="training", occurred_at=AT, payload={
        "renewal_id": "r1", "staff_id": "s1", "certification_code": "ACLS", "state": "VERIFIED",
        "expires_on": "2028-11-30", "rejection_reason": "", "submitter_slack_user_id": user,
        "decided_by": {"staff_id": "s9", "display_name": "Elaine Brennan"}})


def dying(stream: RedisEventStream) -> DiesAfterSlackTookThePost:
    return DiesAfterSlackTookThePost(stream.client, stream=stream.stream,
                                     dead_stream=stream.dead_stream, prefix=stream.prefix)


async def test_every_announcement_carries_its_event_id_in_the_message_metadata(
        slack, event_stream, stream_name):
    event = renewal_verified("U0NURSE01")
    publish(stream_name, event)
    assert await notifier(event_stream, plain_client(slack)).run_once() == 1
    [post] = slack.calls("chat.postMessage")
    assert post.body["metadata"] == {"event_type": EVENT_METADATA_TYPE,
                                     "event_payload": {"event_id": event.event_id}}


async def test_a_dm_taken_by_slack_before_the_reader_died_is_not_posted_again(
        slack, event_stream, stream_name):
    event = renewal_verified("U0NURSE01")
    publish(stream_name, event)
    first = notifier(dying(event_stream), plain_client(slack), consumer="bot-dead")
    await first.run_once()  # the failure is counted; the entry stays unacknowledged
    assert len(delivered(slack)) == 1 and await event_stream.posted(event.event_id) is None

    taking_over = notifier(event_stream, plain_client(slack), consumer="bot-new",
                           reclaim_idle_ms=0)
    assert await taking_over.reclaim() == 1
    assert await taking_over.run_once() == 1
    [post] = slack.calls("chat.postMessage")
    [looked] = slack.calls("conversations.history")
    assert looked.body["include_all_metadata"] in (True, "true", "1")
    assert float(looked.body["oldest"]) < AT.timestamp()
    assert await event_stream.posted(event.event_id) == post.answer["ts"]
    summary = await event_stream.client.xpending(stream_name, event_stream.group)
    assert summary["pending"] == 0


async def test_a_thread_answer_taken_by_slack_is_found_among_the_replies_not_posted_twice(
        slack, event_stream, stream_name):
    client = plain_client(slack)
    parent = await client.chat_postMessage(channel="C0ICU0001", text="Open shift ICU")
    award = Event(kind="open_shift.awarded", service="staffing", occurred_at=AT, payload={
        "slack_channel_id": "C0ICU0001", "slack_message_ts": parent["ts"], "slots": 2,
        "slots_filled": 1, "display_name": "Aisha Rahman", "slack_user_id": ""})
    publish(stream_name, award)
    await notifier(dying(event_stream), client, consumer="bot-dead").run_once()
    taking_over = notifier(event_stream, client, consumer="bot-new", reclaim_idle_ms=0)
    await taking_over.reclaim()
    assert await taking_over.run_once() == 1
    answers = [c for c in slack.calls("chat.postMessage") if c.body.get("thread_ts")]
    assert len(answers) == 1
    assert slack.calls("conversations.replies")[0].body["ts"] == parent["ts"]


async def test_a_redelivered_event_slack_never_took_is_posted_after_looking(
        slack, event_stream, stream_name):
    publish(stream_name, renewal_verified("U0NURSE02"))
    slack.fail_next("chat.postMessage", 1, status=500)
    bot = notifier(event_stream, plain_client(slack))
    assert await bot.run_once() == 0  # refused: kept for the next round
    assert await bot.run_once() == 1
    assert len(delivered(slack)) == 1
    assert len(slack.calls("conversations.history")) == 1


async def test_an_answer_whose_parent_post_is_not_made_yet_waits_and_then_goes_in_its_thread(
        slack, event_stream, stream_name):
    award = Event(kind="open_shift.awarded", service="staffing", occurred_at=AT, payload={
        "slack_channel_id": "C0ICU0001", "slack_message_ts": "", "thread_of": "parent-event",
        "slots": 2, "slots_filled": 1, "display_name": "Aisha Rahman", "slack_user_id": ""})
    publish(stream_name, award)
    bot = notifier(event_stream, plain_client(slack))
    # Another reader still holds the shift's own post: nothing is posted outside the thread.
    assert await bot.run_once() == 0
    assert slack.calls("chat.postMessage") == []
    parent = await plain_client(slack).chat_postMessage(channel="C0ICU0001", text="Open shift")
    await event_stream.remember_posted("parent-event", parent["ts"])
    assert await bot.run_once() == 1
    [answer] = [c for c in slack.calls("chat.postMessage") if c.body.get("thread_ts")]
    assert answer.body["thread_ts"] == parent["ts"]
    assert answer.body["text"].startswith("Awarded to Aisha Rahman")
