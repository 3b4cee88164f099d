"""The scheduled supply scan against real supplies over gRPC (port 0, the demo hospital) and the
Slack stand-in: what fell to its reorder point is proposed once, and every new proposal (scan or
import) reaches the unit's channel once through its proposal.created event and the notifier —
the job itself posts nothing new."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.clients import SuppliesClient
from bot.scheduler import jobs, supplies_jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.facilities import Facility
from clinops.clock import fixed_clock
from clinops.demo.hospital import build_hospital
from clinops.slack_standin import SlackStandIn
from clinops.supplies.v1 import supplies_pb2_grpc
from services.supplies import usecases
from services.supplies.model import Actor
from services.supplies.outbox import relay
from services.supplies.seed import seed_demo
from services.supplies.server import create_server
from services.supplies.store import SuppliesStore, migrate
from tests.conftest import Prepare, demo_database
from tests.e2e.outbox_delivery import Announcer

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 06:00 in California: the daily scan
HOSPITAL = build_hospital(date(2026, 11, 26))
CHANNELS = {unit.unit_id: unit.slack_channel_id for unit in HOSPITAL.units}
DIRECTOR = Actor(HOSPITAL.team_id, "U0SUP001")


@pytest.fixture
def store(prepared_database: Prepare) -> Iterator[SuppliesStore]:
    opened = SuppliesStore.open(demo_database(prepared_database, "supplies", migrate,
                                              SuppliesStore.open, seed_demo, HOSPITAL))
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
    return sorted(call.body["channel"] for call in slack.calls("chat.postMessage")
                  if call.answer.get("ok"))


def announce(runtime: jobs.Runtime, store: SuppliesStore, slack: SlackStandIn,
             rounds: int = 1) -> None:
    """Supplies' outbox delivered by one notifier (rounds of delivery), posts recorded back."""
    async def deliver() -> None:
        channel = grpc.aio.insecure_channel(runtime.supplies.target)
        try:
            supplies = SuppliesClient(supplies_pb2_grpc.SuppliesServiceStub(channel),
                                      deadline_seconds=5.0)
            announcer = Announcer(store.engine, relay, slack_url=slack.base_url, now=NOW,
                                  supplies=supplies)
            for _ in range(rounds):
                await announcer.deliver()
        finally:
            await channel.close()

    asyncio.run(deliver())


def test_the_scan_proposes_for_each_unit_and_the_notifier_posts_each_once_and_records_where(
    runtime, store: SuppliesStore, slack: SlackStandIn,  # noqa: ANN001
) -> None:
    report = supplies_jobs.reorder_scan()
    units = sorted({p.unit_id for p in store.list_proposals(None, None)})
    assert "ICU" in units and report.sent == len(units) and report.failed == 0
    assert slack.calls("chat.postMessage") == []  # the job posts nothing itself
    announce(runtime, store, slack)
    assert posted_channels(slack) == sorted(CHANNELS[unit] for unit in units)
    assert all(p.slack_message_ts for p in store.list_proposals(None, None))
    icu = next(c for c in slack.calls("chat.postMessage") if c.body["channel"] == CHANNELS["ICU"])
    assert icu.body["text"].startswith("Reorder proposal RP-")


def test_a_second_scan_posts_nothing_again(runtime, store, slack: SlackStandIn) -> None:  # noqa: ANN001
    supplies_jobs.reorder_scan()
    announce(runtime, store, slack)
    before = len(slack.calls("chat.postMessage"))
    report = supplies_jobs.reorder_scan()
    assert (report.sent, report.failed) == (0, 0)
    announce(runtime, store, slack)
    assert len(slack.calls("chat.postMessage")) == before


def test_a_proposal_an_import_opened_reaches_the_unit_channel_without_waiting_for_a_scan(
    runtime, store: SuppliesStore, slack: SlackStandIn,  # noqa: ANN001
) -> None:
    imported = usecases.import_stock(
        rows=[usecases.ImportRow("ICU", "IVCATH-20G", (2026, 11, 25), counted=0)],
        caller=DIRECTOR, store=store, clock=fixed_clock(NOW))
    [opened] = imported.proposals
    assert not opened.slack_message_ts
    announce(runtime, store, slack)
    [post] = [c for c in slack.calls("chat.postMessage") if c.body["channel"] == CHANNELS["ICU"]]
    assert opened.reference in post.body["text"]
    assert store.get_proposal(opened.proposal_id).slack_message_ts


def test_a_post_slack_refuses_is_retried_by_the_notifier_not_the_scan(
    runtime, store: SuppliesStore, slack: SlackStandIn,  # noqa: ANN001
) -> None:
    usecases.import_stock(rows=[usecases.ImportRow("ICU", "IVCATH-20G", (2026, 11, 25), 0)],
                          caller=DIRECTOR, store=store, clock=fixed_clock(NOW))
    slack.fail_next("chat.postMessage", 2, status=403)
    announce(runtime, store, slack, rounds=3)
    [posted] = store.list_proposals(None, None)
    assert posted.slack_message_ts
    assert posted_channels(slack) == [CHANNELS["ICU"]]


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
