"""A scheduler that dies between Slack taking a reminder DM and marking it sent: the scheduler
that takes the claim over (after the 15-minute lease) looks in the person's DM for the reminder's
message metadata before sending, so the DM is never doubled and never lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import grpc
import pytest

from bot.scheduler.links import TrainingLink
from bot.scheduler.marks import Marks
from bot.scheduler.scans import (
    REMINDER_EVENT,
    reminder_key,
    reminder_metadata,
    send_certification_reminders,
    send_dm,
)
from clinops.slack_standin import SlackStandIn
from services.training.reminders import CLAIM_LEASE
from services.training.server import create_server
from services.training.store import TrainingStore
from tests.scheduler.conftest import DEADLINE
from tests.training.training_fixtures import NOW

ON = date(2026, 6, 15)  # C1's BLS is 30 days from expiry; N2's ACLS lapsed 15 days ago
AFTER_THE_LEASE = CLAIM_LEASE + timedelta(minutes=1)


class Clock:
    """Training's and Slack's shared time, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def training(training_store: TrainingStore, clock: Clock) -> Iterator[TrainingLink]:
    server, port = create_server(store=training_store, clock=clock)
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield TrainingLink(channel, deadline_seconds=DEADLINE)
    server.stop(None)


@pytest.fixture
def slack(clock: Clock) -> Iterator[SlackStandIn]:
    """The stand-in's message timestamps follow the test's clock (conftest's slack_web uses it)."""
    with SlackStandIn(team_id="T0001", clock=clock) as standin:
        yield standin


def delivered(slack: SlackStandIn, channel: str) -> list[dict]:
    """Every reminder DM Slack accepted in `channel`."""
    return [c.body for c in slack.calls("chat.postMessage")
            if not c.name and c.body["channel"] == channel]


def c1_reminder(training: TrainingLink):  # noqa: ANN201
    return next(i for i in training.list_expiring(on=ON, since=None)
                if i.record.staff_id == "C1")


def reminder_actions(store: TrainingStore, staff_id: str) -> list[str]:
    return [e.action for e in store.audit_log()
            if e.action.startswith("REMINDER") and e.subject.startswith(f"{staff_id} ")]


def test_every_reminder_dm_carries_its_key_as_message_metadata_and_reads_no_history(
    training, slack, slack_web, marks,  # noqa: ANN001
) -> None:
    assert send_certification_reminders(on=ON, training=training, slack=slack_web,
                                        marks=marks).sent == 2
    (dm,) = delivered(slack, "DUC1")
    assert dm["metadata"] == {"event_type": REMINDER_EVENT,
                              "event_payload": {"reminder": "C1/BLS/2026-07-15/30"}}
    assert slack.calls("conversations.history") == []  # the normal path asks Slack nothing more


def test_a_dm_slack_took_before_its_scheduler_died_is_not_sent_again_after_the_takeover(
    training, slack, slack_web, marks, clock, tmp_path,  # noqa: ANN001
    training_store: TrainingStore,
) -> None:
    # The first scheduler claims C1's reminder, Slack takes the DM, and it dies before marking it.
    item = c1_reminder(training)
    assert training.claim(item) is not None
    send_dm(slack_web, "UC1", "Your BLS expires 2026-07-15", [], reminder_metadata(item))
    clock.now = NOW + AFTER_THE_LEASE
    other = Marks.open(f"sqlite:///{tmp_path / 'other.db'}")  # another scheduler process
    report = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=other)
    other.close()
    assert len(delivered(slack, "DUC1")) == 1
    assert len(delivered(slack, "DUN2")) == 1  # everyone else's reminder went out as usual
    (history,) = slack.calls("conversations.history")
    assert history.body["channel"] == "DUC1"
    assert float(history.body["oldest"]) <= NOW.timestamp()
    assert (report.sent, report.failed) == (1, 0)
    assert reminder_actions(training_store, "C1")[-1] == "REMINDER_SENT"
    # Marked sent: never listed or sent again, however late.
    clock.now = NOW + 4 * AFTER_THE_LEASE
    assert reminder_key(item) not in {reminder_key(i) for i in
                                      training.list_expiring(on=ON, since=None)}
    assert send_certification_reminders(on=ON, training=training, slack=slack_web,
                                        marks=Marks.open(f"sqlite:///{tmp_path / 'x.db'}")
                                        ).sent == 0
    assert len(delivered(slack, "DUC1")) == 1


def test_a_dm_slack_never_took_before_its_scheduler_died_is_sent_once_after_the_takeover(
    training, slack, slack_web, marks, clock,  # noqa: ANN001
    training_store: TrainingStore,
) -> None:
    # The first scheduler claims C1's reminder and dies before Slack took anything.
    item = c1_reminder(training)
    assert training.claim(item) is not None
    clock.now = NOW + AFTER_THE_LEASE
    report = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert report.sent == 2
    (dm,) = delivered(slack, "DUC1")
    assert dm["metadata"]["event_payload"] == {"reminder": reminder_key(item)}
    assert [c.body["channel"] for c in slack.calls("conversations.history")] == ["DUC1"]
    assert reminder_actions(training_store, "C1")[-1] == "REMINDER_SENT"


def test_an_older_reminder_in_the_dm_does_not_count_as_this_one(
    training, slack, slack_web, marks, clock, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    # Another of C1's reminders (its 60-day one) sits in the DM; the 30-day one was never sent.
    earlier = c1_reminder(training)
    earlier.threshold_days = 60
    send_dm(slack_web, "UC1", "Your BLS expires 2026-07-15", [], reminder_metadata(earlier))
    item = c1_reminder(training)
    assert training.claim(item) is not None
    clock.now = NOW + AFTER_THE_LEASE
    send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert [d["metadata"]["event_payload"]["reminder"] for d in delivered(slack, "DUC1")] == [
        "C1/BLS/2026-07-15/60", "C1/BLS/2026-07-15/30"]


def test_when_slack_cannot_show_the_dm_history_nothing_is_sent_and_a_later_scan_looks_again(
    training, slack, slack_web, marks, clock,  # noqa: ANN001
) -> None:
    item = c1_reminder(training)
    assert training.claim(item) is not None
    send_dm(slack_web, "UC1", "Your BLS expires 2026-07-15", [], reminder_metadata(item))
    clock.now = NOW + AFTER_THE_LEASE
    slack.fail_next("conversations.history", 3, status=500)  # the call and both retries
    first = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert first.failed == 1
    assert len(delivered(slack, "DUC1")) == 1
    clock.now = NOW + 2 * AFTER_THE_LEASE
    second = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert second.failed == 0
    assert len(delivered(slack, "DUC1")) == 1


def test_a_scan_that_meets_a_reminder_claimed_elsewhere_leaves_its_day_open_until_it_settles(
    training, slack, slack_web, marks, clock,  # noqa: ANN001
) -> None:
    # The leader claims C1's reminder and dies; the new leader scans within the lease.
    item = c1_reminder(training)
    assert training.claim(item) is not None
    first = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert first.in_flight == 1 and first.sent == 1  # N2's went out; C1's is still held
    assert marks.last_success("certification_reminders") is None
    # The next run, after the lease, takes the dead sender's claim over and delivers it.
    clock.now = NOW + AFTER_THE_LEASE
    second = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert second.sent == 1 and second.in_flight == 0
    assert len(delivered(slack, "DUC1")) == 1
    assert marks.last_success("certification_reminders") == ON
