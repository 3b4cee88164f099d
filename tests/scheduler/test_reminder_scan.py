"""The certification scan against real training over gRPC and the Slack stand-in: each reminder
DM'd exactly once — run twice, by two processes at once, after a failed DM, after downtime."""

from __future__ import annotations

import threading
from datetime import date

import grpc

from bot.scheduler.links import TrainingLink
from bot.scheduler.marks import Marks
from bot.scheduler.scans import REMINDER_SCAN, send_certification_reminders
from clinops.slack_standin import SlackStandIn
from services.training.store import TrainingStore
from tests.scheduler.conftest import DEADLINE
from tests.training.training_fixtures import card

ON = date(2026, 6, 15)  # C1's BLS is 30 days from expiry; N2's ACLS lapsed 15 days ago


def delivered(slack: SlackStandIn) -> list[tuple[str, str]]:
    """(DM channel, text) of every chat.postMessage Slack accepted (faults are left out)."""
    return [(c.body["channel"], c.body["text"]) for c in slack.calls("chat.postMessage")
            if not c.name]


def test_each_due_reminder_is_dmed_once_with_days_left_and_how_to_renew(
    training, slack, slack_web, marks,  # noqa: ANN001
) -> None:
    report = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert (report.sent, report.failed) == (2, 0)
    dms = dict(delivered(slack))
    assert dms["DUC1"].startswith("Your BLS expires 2026-07-15 — 30 days left. Renew with "
                                  "`/certs renew BLS &lt;new expiry YYYY-MM-DD&gt;`")
    assert dms["DUN2"].startswith("Your ACLS expired 2026-05-31 — 15 days ago.")
    assert sorted(c.body["users"] for c in slack.calls("conversations.open")) == ["UC1", "UN2"]


def test_running_the_scan_again_and_after_a_restart_sends_nothing_more(
    training, slack, slack_web, marks, scheduler_db, tmp_path,  # noqa: ANN001
) -> None:
    send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    again = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert again.sent == 0
    restarted = Marks.open(scheduler_db)  # a new process on the same scheduler database
    assert send_certification_reminders(on=ON, training=training, slack=slack_web,
                                        marks=restarted).sent == 0
    restarted.close()
    # Even a process that lost its own database cannot double: training holds the claims.
    forgetful = Marks.open(f"sqlite:///{tmp_path / 'other.db'}")
    report = send_certification_reminders(on=ON, training=training, slack=slack_web,
                                          marks=forgetful)
    forgetful.close()
    assert (report.sent, report.skipped) == (0, 0)  # already recorded: not even listed
    assert len(delivered(slack)) == 2


def test_two_scheduler_processes_scanning_at_once_send_each_dm_once(
    training_target, slack, slack_web, tmp_path,  # noqa: ANN001
) -> None:
    reports, errors = [], []
    start = threading.Barrier(2)

    def scan(name: str) -> None:
        marks = Marks.open(f"sqlite:///{tmp_path / f'{name}.db'}")
        try:
            with grpc.insecure_channel(training_target) as channel:
                link = TrainingLink(channel, deadline_seconds=DEADLINE)
                start.wait(timeout=5)
                reports.append(send_certification_reminders(on=ON, training=link,
                                                            slack=slack_web, marks=marks))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            marks.close()

    threads = [threading.Thread(target=scan, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors
    assert sum(r.sent for r in reports) == 2
    assert sorted(channel for channel, _ in delivered(slack)) == ["DUC1", "DUN2"]


def test_a_dm_slack_refuses_beyond_its_retries_is_sent_by_the_next_run_once(
    training, slack, slack_web, marks, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    # Three 500s: the first attempt and both retries of one DM fail.
    slack.fail_next("chat.postMessage", 3, status=500)
    first = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert (first.sent, first.failed) == (1, 1)
    assert marks.last_success(REMINDER_SCAN) is None  # the day is not complete
    second = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert (second.sent, second.failed) == (1, 0)
    assert sorted(channel for channel, _ in delivered(slack)) == ["DUC1", "DUN2"]
    assert marks.last_success(REMINDER_SCAN) == ON
    actions = [e.action for e in training_store.audit_log() if e.action.startswith("REMINDER")]
    assert actions.count("REMINDER_RELEASED") == 1 and actions.count("REMINDER_SENT") == 2


def test_a_scan_that_missed_a_day_catches_up_without_repeating_anything(
    training, slack, slack_web, marks, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    # N1's PALS crosses its 30-day threshold on 2026-06-14, the day the scheduler was down.
    training_store.put_records([card("N1", "PALS", date(2026, 7, 14))])
    assert send_certification_reminders(on=date(2026, 6, 13), training=training,
                                        slack=slack_web, marks=marks).sent == 0
    caught_up = send_certification_reminders(on=ON, training=training, slack=slack_web,
                                             marks=marks)
    assert caught_up.sent == 3
    assert dict(delivered(slack))["DUN1"].startswith(
        "Your PALS expires 2026-07-14 — 29 days left.")
    assert send_certification_reminders(on=date(2026, 6, 16), training=training,
                                        slack=slack_web, marks=marks).sent == 0
    assert len(delivered(slack)) == 3


def test_after_weeks_of_downtime_only_the_latest_threshold_is_sent(
    training, slack, slack_web, marks,  # noqa: ANN001
) -> None:
    # Down since 2026-05-10: C1's 60-day (05-16) and N2's day-after and weekly reminders were
    # all missed; each hears only the one that is current today.
    marks.record_success(REMINDER_SCAN, date(2026, 5, 10))
    report = send_certification_reminders(on=ON, training=training, slack=slack_web, marks=marks)
    assert report.sent == 2
    dms = dict(delivered(slack))
    assert "30 days left" in dms["DUC1"] and "15 days ago" in dms["DUN2"]
