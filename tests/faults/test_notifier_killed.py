"""The notifier killed between posting an announcement and acknowledging it: no second post.

`clinops notifier` runs as a real process against a private Redis and the Slack stand-in. In the
first test it dies with SIGKILL the moment it would XACK (after Slack accepted the post and the
post was recorded by event id); in the second it is killed (kill -9 from outside) while Slack has
taken the post and not yet answered, so nothing of it was recorded anywhere but in Slack. Either
way a second `clinops notifier` reclaims the dead one's entry and posts nothing more. A real
`clinops serve staffing` answers the notifier's delivery look-ups (the events are the test's own,
not in its outbox, so it has no record of them).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import redis
from slack_sdk import WebClient

from clinops.outbox import STREAM, Event, RedisPublisher
from clinops.slack_standin import SlackStandIn
from tests.faults.fault_fixtures import CLINOPS, ROOT, ServiceProcess, stop_process, wait_until
from tests.faults.test_redis_down import private_redis

# The real `clinops notifier`, except that XACK is a SIGKILL of the process itself.
DIES_AT_ACK = """
import os, signal, sys
from bot.notifier.stream import RedisEventStream
async def killed(self, entry):
    os.kill(os.getpid(), signal.SIGKILL)
RedisEventStream.ack = killed
from clinops.cli import main
sys.exit(main(["notifier"]))
"""


@contextlib.contextmanager
def staffing(tmp_path: Path) -> Iterator[str]:
    service = ServiceProcess("staffing", f"sqlite:///{tmp_path / 'staffing.db'}",
                             tmp_path / "staffing.log").start()
    try:
        yield service.target
    finally:
        service.kill()


def awarded(name: str) -> Event:
    return Event(kind="open_shift.awarded", service="staffing",
                 occurred_at=datetime(2026, 11, 26, 18, 30, tzinfo=UTC), payload={
                     "slack_channel_id": "C0ICU0001", "slack_message_ts": "1700000000.000100",
                     "slots": 2, "slots_filled": 1, "display_name": name, "slack_user_id": ""})


def test_a_notifier_killed_between_post_and_ack_posts_nothing_more_after_restart(
    tmp_path: Path,
) -> None:
    with private_redis() as private, SlackStandIn() as slack, staffing(tmp_path) as target:
        env = {**os.environ, "CLINOPS_REDIS_URL": private.url, "SLACK_API_URL": slack.base_url,
               "CLINOPS_STAFFING_TARGET": target,
               "SLACK_BOT_TOKEN": "xoxb-faults", "SLACK_SIGNING_SECRET": "faults",
               "CLINOPS_NOTIFIER_SECONDS_PER_POST": "0",
               "CLINOPS_NOTIFIER_RECLAIM_IDLE_MS": "200"}
        log = (tmp_path / "notifier.log").open("ab")
        publisher = RedisPublisher.from_url(private.url)
        publisher.publish(awarded("Aisha Rahman"))
        publisher.close()

        dying = subprocess.Popen([sys.executable, "-c", DIES_AT_ACK], cwd=ROOT, env=env,
                                 stdout=log, stderr=subprocess.STDOUT)
        try:
            dying.wait(timeout=10)
        finally:
            stop_process(dying)
        assert dying.returncode == -9
        assert len(slack.calls("chat.postMessage")) == 1
        client = redis.Redis.from_url(private.url)
        assert client.xpending(STREAM, "clinops-bot")["pending"] == 1  # read, never acknowledged

        restarted = subprocess.Popen([CLINOPS, "notifier"], cwd=ROOT, env=env, stdout=log,
                                     stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: client.xpending(STREAM, "clinops-bot")["pending"] == 0,
                       seconds=8, what="the dead notifier's entry reclaimed and acknowledged")
            assert restarted.poll() is None
        finally:
            stop_process(restarted)
            client.close()
        [post] = slack.calls("chat.postMessage")
        assert post.body["text"].startswith("Awarded to Aisha Rahman")


def test_a_notifier_killed_after_slack_took_the_post_and_before_it_heard_posts_it_once(
    tmp_path: Path,
) -> None:
    with private_redis() as private, SlackStandIn() as slack, staffing(tmp_path) as target:
        env = {**os.environ, "CLINOPS_REDIS_URL": private.url, "SLACK_API_URL": slack.base_url,
               "CLINOPS_STAFFING_TARGET": target,
               "SLACK_BOT_TOKEN": "xoxb-faults", "SLACK_SIGNING_SECRET": "faults",
               "CLINOPS_NOTIFIER_SECONDS_PER_POST": "0",
               "CLINOPS_NOTIFIER_RECLAIM_IDLE_MS": "200"}
        log = (tmp_path / "notifier.log").open("ab")
        parent = WebClient(token="xoxb-faults", base_url=slack.base_url).chat_postMessage(
            channel="C0ICU0001", text="Open shift ICU: 2 of 2 RN")
        event = Event(kind="open_shift.awarded", service="staffing",
                      occurred_at=datetime.now(UTC), payload={
                          "slack_channel_id": "C0ICU0001", "slack_message_ts": parent["ts"],
                          "slots": 2, "slots_filled": 1, "display_name": "Aisha Rahman",
                          "slack_user_id": ""})
        publisher = RedisPublisher.from_url(private.url)
        publisher.publish(event)
        publisher.close()
        # Slack records the answer in the thread, then keeps the notifier waiting for its reply.
        slack.hold_next("chat.postMessage", 20)

        first = subprocess.Popen([CLINOPS, "notifier"], cwd=ROOT, env=env, stdout=log,
                                 stderr=subprocess.STDOUT)
        try:
            slack.wait_for("chat.postMessage", 2, timeout=10)
            first.kill()  # SIGKILL: Slack has the post; the notifier never heard its ts
            first.wait(timeout=5)
        finally:
            stop_process(first)
        assert first.returncode == -9
        client = redis.Redis.from_url(private.url)
        assert client.xpending(STREAM, "clinops-bot")["pending"] == 1
        assert client.get(f"clinops:events:posted:{event.event_id}") is None

        restarted = subprocess.Popen([CLINOPS, "notifier"], cwd=ROOT, env=env, stdout=log,
                                     stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: client.xpending(STREAM, "clinops-bot")["pending"] == 0,
                       seconds=8, what="the dead notifier's entry reclaimed and acknowledged")
            assert restarted.poll() is None
        finally:
            stop_process(restarted)
        answers = [c for c in slack.calls("chat.postMessage") if c.body.get("thread_ts")]
        assert len(answers) == 1 and answers[0].body["text"].startswith("Awarded to Aisha")
        # The restarted notifier looked in the thread and kept what it found.
        assert slack.calls("conversations.replies")
        assert client.get(f"clinops:events:posted:{event.event_id}") == (
            answers[0].answer["ts"].encode())
        client.close()
