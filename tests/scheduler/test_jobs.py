"""The jobs in a persistent store: explicit ids per facility, cron in each facility's zone,
coalesced with a generous grace, replaced (not doubled) on restart; a job runs only in the
leading process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bot.scheduler import jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.facilities import Facility
from clinops.clock import fixed_clock

LA, DENVER = "America/Los_Angeles", "America/Denver"
FACILITIES = [Facility("MAIN", "Main facility", LA), Facility("CLINIC", "Front Range Clinic",
                                                                 DENVER)]


def settings(scheduler_db: str) -> SchedulerSettings:
    return SchedulerSettings(database_url=scheduler_db, bot_token="xoxb-test")


def stored_jobs(scheduler_db: str, facilities: list[Facility] = FACILITIES) -> list:
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=scheduler_db)})
    jobs.schedule_jobs(scheduler, settings(scheduler_db), facilities)
    scheduler.start(paused=True)
    try:
        # What the daily refresh does once started: the store's jobs of a facility gone go.
        jobs.schedule_jobs(scheduler, settings(scheduler_db), facilities)
        return scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)


def test_each_facility_gets_its_daily_jobs_in_its_zone_replaced_on_restart(scheduler_db) -> None:  # noqa: ANN001
    stored_jobs(scheduler_db)
    found = {job.id: job for job in stored_jobs(scheduler_db)}  # a restart adds them again
    assert set(found) == {f"{base}:{facility}" for facility in ("MAIN", "CLINIC") for base in (
        jobs.REMINDERS_JOB, jobs.DIGEST_JOB, "digest.weekly_unit",
        "supplies.daily_reorder_scan")}
    for facility, zone in (("MAIN", LA), ("CLINIC", DENVER)):
        reminders = found[f"{jobs.REMINDERS_JOB}:{facility}"]
        assert reminders.coalesce is True and reminders.misfire_grace_time == 12 * 3600
        assert str(reminders.trigger.timezone) == zone
        assert reminders.next_run_time.astimezone(reminders.trigger.timezone).hour == 7
        assert reminders.func_ref == "bot.scheduler.jobs:certification_reminders"
        assert reminders.kwargs == {"facility_id": facility, "time_zone": zone}


def test_a_facility_no_longer_listed_loses_its_jobs(scheduler_db) -> None:  # noqa: ANN001
    stored_jobs(scheduler_db)
    found = {job.id for job in stored_jobs(scheduler_db, FACILITIES[:1])}
    assert f"{jobs.REMINDERS_JOB}:MAIN" in found
    assert not [job_id for job_id in found if job_id.endswith(":CLINIC")]


@pytest.fixture
def runtime(training, staffing, slack_web, marks) -> Iterator[jobs.Runtime]:  # noqa: ANN001
    installed = jobs.Runtime(
        training=training, staffing=staffing, slack=slack_web, marks=marks,
        clock=fixed_clock(datetime(2026, 6, 16, 5, 0, tzinfo=UTC)), is_leading=lambda: True)
    jobs.install(installed)
    yield installed
    jobs.install(None)


def test_the_jobs_run_for_the_facilitys_date_in_the_leading_process(runtime, slack) -> None:  # noqa: ANN001
    # 22:00 in California on 2026-06-15 is already the 16th in UTC: the facility's date counts.
    assert runtime.today(LA).isoformat() == "2026-06-15"
    assert jobs.certification_reminders("MAIN", LA).queued == 2  # the notifier DMs them
    assert jobs.manager_digest("MAIN", LA).sent == 1  # the 15th is a Monday: the weekly day
    assert "Expiring soon" in slack.calls("chat.postMessage")[-1].body["text"]


def test_a_standby_process_runs_no_job(runtime, slack) -> None:  # noqa: ANN001
    runtime.is_leading = lambda: False
    assert jobs.certification_reminders("MAIN", LA) is None
    assert jobs.manager_digest("MAIN", LA) is None
    assert slack.calls("chat.postMessage") == []
