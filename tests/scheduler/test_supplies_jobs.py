"""The scheduled supply scan against real supplies over gRPC (port 0, the demo hospital) and the
Slack stand-in: what fell to its reorder point reaches the unit's channel once, and proposals an
import opened reach it at the next scan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.scheduler import jobs, supplies_jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.facilities import Facility
from clinops.clock import fixed_clock
from clinops.demo.hospital import build_hospital
from clinops.slack_standin import SlackStandIn
from services.supplies import usecases
from services.supplies.model import Actor
from services.supplies.seed import seed_demo
from services.supplies.server import create_server
from services.supplies.store import SuppliesStore, migrate

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 06:00 in California: the daily scan
HOSPITAL = build_hospital(date(2026, 11, 26))
CHANNELS = {unit.unit_id: unit.slack_channel_id for unit in HOSPITAL.units}
DIRECTOR = Actor(HOSPITAL.team_id, "U0SUP001")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SuppliesStore]:
    url = f"sqlite:///{tmp_path / 'supplies.db'}"
    migrate(url)
    opened = SuppliesStore.open(url)
    seed_demo(opened, HOSPITAL)
    yield opened
    opened.close()


@pytest.fixture
def runtime(store: SuppliesStore, slack: SlackStandIn, marks) -> Iterator[jobs.Runtime]:  # noqa: ANN001
    server, port = create_server(store=store, clock=fixed_clock(NOW))
    server.start()
    installed = jobs.Runtime(
        training=None, staffing=None, slack=None, marks=marks, clock=fixed_clock(NOW),
        is_leading=lambda: True,
        supplies=supplies_jobs.SuppliesLink(target=f"127.0.0.1:{port}", deadline_seconds=10.0,
                                            slack_token="xoxb-test",
                                            slack_api_url=slack.base_url))
    jobs.install(installed)
    yield installed
    jobs.install(None)
    server.stop(None)


def posted_channels(slack: SlackStandIn) -> list[str]:
    return sorted(call.body["channel"] for call in slack.calls("chat.postMessage"))


def test_the_scan_posts_each_units_new_proposal_to_its_channel_and_records_where(
    runtime, store: SuppliesStore, slack: SlackStandIn,  # noqa: ANN001
) -> None:
    report = supplies_jobs.reorder_scan()
    units = sorted({p.unit_id for p in store.list_proposals(None, None)})
    assert units == ["4W", "5T", "ED", "ICU"]
    assert report.sent == 4 and report.failed == 0
    assert posted_channels(slack) == sorted(CHANNELS[unit] for unit in units)
    assert all(p.slack_message_ts for p in store.list_proposals(None, None))
    icu = next(c for c in slack.calls("chat.postMessage") if c.body["channel"] == CHANNELS["ICU"])
    assert icu.body["text"].startswith("Reorder proposal RP-")


def test_a_second_scan_posts_nothing_again(runtime, slack: SlackStandIn) -> None:  # noqa: ANN001
    supplies_jobs.reorder_scan()
    before = len(slack.calls("chat.postMessage"))
    report = supplies_jobs.reorder_scan()
    assert (report.sent, report.failed) == (0, 0)
    assert len(slack.calls("chat.postMessage")) == before


def test_a_proposal_an_import_opened_reaches_the_unit_channel_at_the_next_scan(
    runtime, store: SuppliesStore, slack: SlackStandIn,  # noqa: ANN001
) -> None:
    supplies_jobs.reorder_scan()
    imported = usecases.import_stock(
        rows=[usecases.ImportRow("LD", "IVCATH-20G", (2026, 11, 25), counted=0)],
        caller=DIRECTOR, store=store, clock=fixed_clock(NOW))
    [opened] = imported.proposals
    assert opened.unit_id == "LD" and not opened.slack_message_ts
    assert CHANNELS["LD"] not in posted_channels(slack)
    report = supplies_jobs.reorder_scan()
    assert report.sent == 1
    [post] = [c for c in slack.calls("chat.postMessage") if c.body["channel"] == CHANNELS["LD"]]
    assert opened.reference in post.body["text"]
    assert store.get_proposal(opened.proposal_id).slack_message_ts


def test_a_post_slack_refuses_is_retried_at_the_next_scan(
    runtime, store: SuppliesStore, slack: SlackStandIn,  # noqa: ANN001
) -> None:
    usecases.import_stock(rows=[usecases.ImportRow("LD", "IVCATH-20G", (2026, 11, 25), 0)],
                          caller=DIRECTOR, store=store, clock=fixed_clock(NOW))
    slack.fail_next("chat.postMessage", 5, status=403)
    report = supplies_jobs.reorder_scan()
    assert report.sent == 0 and report.failed == 5
    assert not any(p.slack_message_ts for p in store.list_proposals(None, None))
    assert supplies_jobs.reorder_scan().sent == 5
    assert all(p.slack_message_ts for p in store.list_proposals(None, None))


def test_only_the_leader_scans(runtime, store: SuppliesStore, slack: SlackStandIn) -> None:  # noqa: ANN001
    runtime.is_leading = lambda: False
    assert supplies_jobs.reorder_scan() is None
    assert store.list_proposals(None, None) == [] and slack.calls("chat.postMessage") == []


def test_the_scan_is_stored_daily_at_each_facilitys_hour_and_hourly_for_every_unit(
    scheduler_db: str,
) -> None:
    settings = SchedulerSettings(database_url=scheduler_db, bot_token="xoxb-test",
                                 supplies_scan_hour=5, supplies_scan_interval_minutes=60)
    clinic = Facility("CLINIC", "Front Range Clinic", "America/Denver")
    for _ in range(2):  # a restart replaces the jobs rather than doubling them
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=scheduler_db)})
        supplies_jobs.schedule_jobs(scheduler, settings)
        supplies_jobs.schedule_facility(scheduler, settings, clinic)
        scheduler.start(paused=True)
        found = {job.id: job for job in scheduler.get_jobs()}
        scheduler.shutdown(wait=False)
    assert set(found) == {supplies_jobs.REORDER_SCAN_JOB, "supplies.daily_reorder_scan:CLINIC"}
    every = found[supplies_jobs.REORDER_SCAN_JOB]
    assert every.func_ref == "bot.scheduler.supplies_jobs:reorder_scan" and every.coalesce
    assert every.trigger.interval == timedelta(minutes=60) and every.kwargs == {}
    daily = found["supplies.daily_reorder_scan:CLINIC"]
    assert daily.kwargs == {"facility_id": "CLINIC", "time_zone": "America/Denver"}
    night = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)  # 03:30 in Colorado
    assert daily.trigger.get_next_fire_time(None, night) == datetime(2026, 11, 26, 12, 0,
                                                                     tzinfo=UTC)


def test_daily_only_when_the_interval_is_zero(scheduler_db: str) -> None:
    settings = SchedulerSettings(database_url=scheduler_db, bot_token="xoxb-test",
                                 supplies_scan_interval_minutes=0)
    scheduler = BackgroundScheduler()
    supplies_jobs.schedule_jobs(scheduler, settings)
    assert scheduler.get_jobs() == []
    supplies_jobs.schedule_facility(scheduler, settings,
                                    Facility("MAIN", "Main", "America/Los_Angeles"))
    [job] = scheduler.get_jobs()
    assert isinstance(job.trigger, CronTrigger)
    assert str(job.trigger.fields[5]) == "6"  # the default: 06:00 at the facility
