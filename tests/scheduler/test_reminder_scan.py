"""The certification scan against real training over gRPC: each reminder due is queued once as a
`reminder.due` event (the notifier DMs it) — run twice, by two processes at once, after a restart,
after downtime — and the scheduler itself DMs nobody."""

from __future__ import annotations

import threading
from datetime import date

import grpc

from bot.scheduler.links import TrainingLink
from bot.scheduler.marks import Marks
from bot.scheduler.scans import REMINDER_SCAN, queue_certification_reminders
from clinops.outbox import pending_events
from clinops.slack_standin import SlackStandIn
from services.training.outbox import OUTBOX
from services.training.store import TrainingStore
from tests.scheduler.conftest import DEADLINE
from tests.training.training_fixtures import card

ON = date(2026, 6, 15)  # C1's BLS is 30 days from expiry; N2's ACLS lapsed 15 days ago


def queued(store: TrainingStore) -> list[tuple[str, int]]:
    """(staff, days left) of every reminder event written, oldest first."""
    return [(e.payload["staff_id"], e.payload["days_left"])
            for e in pending_events(store.engine, OUTBOX) if e.kind == "reminder.due"]


def test_each_due_reminder_is_queued_once_and_the_scheduler_dms_nobody(
    training, slack: SlackStandIn, marks, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    report = queue_certification_reminders(on=ON, training=training, marks=marks)
    assert (report.queued, report.requeued, report.already_queued) == (2, 0, 0)
    assert sorted(queued(training_store)) == [("C1", 30), ("N2", -15)]
    assert slack.calls("chat.postMessage") == [] and slack.calls("conversations.open") == []
    assert marks.last_success(REMINDER_SCAN) == ON


def test_running_the_scan_again_and_after_a_restart_queues_nothing_more(
    training, marks, scheduler_db, tmp_path, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    queue_certification_reminders(on=ON, training=training, marks=marks)
    assert queue_certification_reminders(on=ON, training=training, marks=marks).queued == 0
    restarted = Marks.open(scheduler_db)  # a new process on the same scheduler database
    assert queue_certification_reminders(on=ON, training=training, marks=restarted).queued == 0
    restarted.close()
    # Even a process that lost its own database cannot double: training holds the queued marks.
    forgetful = Marks.open(f"sqlite:///{tmp_path / 'other.db'}")
    report = queue_certification_reminders(on=ON, training=training, marks=forgetful)
    forgetful.close()
    assert (report.queued, report.already_queued) == (0, 2)
    assert len(queued(training_store)) == 2


def test_two_scheduler_processes_scanning_at_once_queue_each_reminder_once(
    training_target, tmp_path, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    reports, errors = [], []
    start = threading.Barrier(2)

    def scan(name: str) -> None:
        marks = Marks.open(f"sqlite:///{tmp_path / f'{name}.db'}")
        try:
            with grpc.insecure_channel(training_target) as channel:
                link = TrainingLink(channel, deadline_seconds=DEADLINE)
                start.wait(timeout=5)
                reports.append(queue_certification_reminders(on=ON, training=link, marks=marks))
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
    assert sum(r.queued for r in reports) == 2
    assert sorted(queued(training_store)) == [("C1", 30), ("N2", -15)]


def test_a_scan_that_missed_a_day_catches_up_without_repeating_anything(
    training, marks, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    # N1's PALS crosses its 30-day threshold on 2026-06-14, the day the scheduler was down.
    training_store.put_records([card("N1", "PALS", date(2026, 7, 14))])
    assert queue_certification_reminders(on=date(2026, 6, 13), training=training,
                                         marks=marks).queued == 0
    assert queue_certification_reminders(on=ON, training=training, marks=marks).queued == 3
    assert ("N1", 29) in queued(training_store)
    assert queue_certification_reminders(on=date(2026, 6, 16), training=training,
                                         marks=marks).queued == 0
    assert len(queued(training_store)) == 3


def test_after_weeks_of_downtime_only_the_latest_threshold_is_queued(
    training, marks, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    # Down since 2026-05-10: C1's 60-day (05-16) and N2's day-after and weekly reminders were
    # all missed; each hears only the one that is current today.
    marks.record_success(REMINDER_SCAN, date(2026, 5, 10))
    assert queue_certification_reminders(on=ON, training=training, marks=marks).queued == 2
    assert sorted(queued(training_store)) == [("C1", 30), ("N2", -15)]


def test_a_facilitys_scan_queues_its_units_staff_and_those_with_no_home_unit(
    training, marks, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    training_store.put_records([card("E1", "BLS", date(2026, 7, 15))])  # no home unit
    report = queue_certification_reminders(on=ON, training=training, marks=marks,
                                           unit_ids={"ED"}, scan="reminders:ED")
    assert report.queued == 1 and queued(training_store) == [("E1", 30)]


def test_a_scan_that_no_longer_leads_asks_nothing(
    training, marks, training_store: TrainingStore,  # noqa: ANN001
) -> None:
    report = queue_certification_reminders(on=ON, training=training, marks=marks,
                                           still_leading=lambda: False)
    assert report.stopped and queued(training_store) == []
    assert marks.last_success(REMINDER_SCAN) is None
