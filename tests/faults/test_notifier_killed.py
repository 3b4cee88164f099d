"""The notifier killed between posting an announcement and acknowledging it: no second post.

`clinops notifier` runs as a real process against a private Redis and the Slack stand-in. The
first one dies with SIGKILL the moment it would XACK (after Slack accepted the post and the post
was recorded by event id); a second `clinops notifier` reclaims the dead one's entry.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import redis

from clinops.outbox import STREAM, Event, RedisPublisher
from clinops.slack_standin import SlackStandIn
from tests.faults.fault_fixtures import CLINOPS, ROOT, stop_process, wait_until
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


def awarded(name: str) -> Event:
    return Event(kind="open_shift.awarded", service="staffing",
                 occurred_at=datetime(2026, 11, 26, 18, 30, tzinfo=UTC), payload={
                     "slack_channel_id": "C0ICU0001", "slack_message_ts": "1700000000.000100",
                     "slots": 2, "slots_filled": 1, "display_name": name, "slack_user_id": ""})


def test_a_notifier_killed_between_post_and_ack_posts_nothing_more_after_restart(
    tmp_path: Path,
) -> None:
    with private_redis() as private, SlackStandIn() as slack:
        env = {**os.environ, "CLINOPS_REDIS_URL": private.url, "SLACK_API_URL": slack.base_url,
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
