"""The jobs in a persistent store: explicit ids, cron in the facility's zone, coalesced with a
generous grace, replaced (not doubled) on restart; a job runs only in the leading process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bot.scheduler import jobs
from bot.scheduler.config import SchedulerSettings
from clinops.clock import fixed_clock


def settings(scheduler_db: str) -> SchedulerSettings:
    return SchedulerSettings(database_url=scheduler_db, bot_token="xoxb-test")


def stored_jobs(scheduler_db: str) -> list:
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=scheduler_db)})
    jobs.schedule_jobs(scheduler, settings(scheduler_db))
    scheduler.start(paused=True)
    try:
        return scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)


def test_jobs_are_stored_with_explicit_ids_and_replaced_on_restart(scheduler_db) -> None:  # noqa: ANN001
    stored_jobs(scheduler_db)
    found = {job.id: job for job in stored_jobs(scheduler_db)}  # a restart adds them again
    assert set(found) == {jobs.REMINDERS_JOB, jobs.DIGEST_JOB}
    reminders = found[jobs.REMINDERS_JOB]
    assert reminders.coalesce is True and reminders.misfire_grace_time == 12 * 3600
    assert str(reminders.trigger.timezone) == "America/Los_Angeles"
    assert reminders.next_run_time.astimezone(reminders.trigger.timezone).hour == 7
    assert reminders.func_ref == "bot.scheduler.jobs:certification_reminders"


@pytest.fixture
def runtime(training, staffing, slack_web, marks) -> Iterator[jobs.Runtime]:  # noqa: ANN001
    # 22:00 in California on 2026-06-15 is already the 16th in UTC: the facility's date counts.
    installed = jobs.Runtime(
        training=training, staffing=staffing, slack=slack_web, marks=marks,
        clock=fixed_clock(datetime(2026, 6, 16, 5, 0, tzinfo=UTC)),
        time_zone="America/Los_Angeles", is_leading=lambda: True)
    jobs.install(installed)
    yield installed
    jobs.install(None)


def test_the_jobs_run_for_the_facilitys_date_in_the_leading_process(runtime, slack) -> None:  # noqa: ANN001
    assert runtime.today().isoformat() == "2026-06-15"
    assert jobs.certification_reminders().sent == 2
    assert jobs.manager_digest().sent == 1  # Monday is the weekly day; the 15th is a Monday
    assert "Expiring soon" in slack.calls("chat.postMessage")[-1].body["text"]


def test_a_standby_process_runs_no_job(runtime, slack) -> None:  # noqa: ANN001
    runtime.is_leading = lambda: False
    assert jobs.certification_reminders() is None
    assert jobs.manager_digest() is None
    assert slack.calls("chat.postMessage") == []
