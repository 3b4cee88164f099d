"""The scheduler process: composition root, leader polling, and a clean stop on SIGTERM."""

from __future__ import annotations

import functools
import logging
import signal
import threading
from collections.abc import Callable

import grpc
import redis
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, BaseScheduler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator

from bot.scheduler import facilities, jobs, staffing_jobs, supplies_jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.leader import LeaderElection
from bot.scheduler.links import StaffingLink, TrainingLink
from bot.scheduler.marks import Marks
from bot.scheduler.readiness import READY_TIMEOUT_SECONDS, ReadinessServer, readiness
from clinops import logs, metrics
from clinops.clock import system_clock
from clinops.rpc import client_channel

log = logging.getLogger(__name__)


def slack_client(token: str, base_url: str, *,
                 interval: RetryIntervalCalculator | None = None) -> WebClient:
    """The Slack Web API client: base URL from SLACK_API_URL, honouring 429 Retry-After."""
    backoff = {"interval_calculator": interval} if interval else {}
    return WebClient(token=token, base_url=base_url, retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=2, **backoff),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2, **backoff),
    ])


class SchedulerProcess:
    """A scheduler that runs jobs only while its election says it leads."""

    def __init__(self, scheduler: BaseScheduler, election: LeaderElection) -> None:
        self.scheduler, self.election = scheduler, election
        self.probe: Callable[[], dict] = dict  # what GET /readyz reports; set by build()

    def start(self) -> None:
        self.scheduler.start(paused=True)  # nothing runs before this process leads
        self.poll()

    def poll(self) -> bool:
        """Renew or take the lock; resume or pause the scheduler to match. Whether it leads."""
        leading = self.election.poll()
        if leading and self.scheduler.state == STATE_PAUSED:
            self.scheduler.resume()  # missed runs within the grace time run now, coalesced
        elif not leading and self.scheduler.state == STATE_RUNNING:
            self.scheduler.pause()
        return leading

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.election.resign()


def build(settings: SchedulerSettings) -> tuple[SchedulerProcess, list]:
    """Wire one scheduler process from settings; returns it and what to close afterwards."""
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=settings.poll_seconds)
    election = LeaderElection(client, name=settings.lock_name,
                              ttl_seconds=settings.lock_ttl_seconds)
    # TLS + the service token when configured (off-box), like the bot; every call counted.
    credentials = settings.service_credentials()
    training_channel, staffing_channel = (
        grpc.intercept_channel(client_channel(target, credentials),
                               metrics.ClientMetricsInterceptor())
        for target in (settings.training_target, settings.staffing_target))
    marks = Marks.open(settings.database_url)
    runtime = jobs.Runtime(
        training=TrainingLink(training_channel, deadline_seconds=settings.rpc_deadline_seconds),
        staffing=StaffingLink(staffing_channel, deadline_seconds=settings.rpc_deadline_seconds),
        slack=slack_client(settings.bot_token.get_secret_value(), settings.slack_api_url),
        marks=marks, clock=system_clock,
        is_leading=lambda: election.leading, digest_weekday=settings.digest_weekday,
        upcoming_within_days=settings.upcoming_within_days,
        supplies=supplies_jobs.SuppliesLink(
            target=settings.supplies_target,
            deadline_seconds=settings.supplies_scan_deadline_seconds,
            slack_token=settings.bot_token.get_secret_value(),
            slack_api_url=settings.slack_api_url, credentials=credentials),
    )
    jobs.install(runtime)
    # Every daily trigger carries its facility's zone; the scheduler's own zone is only UTC.
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url)}, timezone="UTC")
    runtime.on_facilities = functools.partial(jobs.schedule_jobs, scheduler, settings)
    jobs.schedule_jobs(scheduler, settings, facilities.initial_facilities(runtime.staffing))
    facilities.schedule_refresh(scheduler, settings)
    staffing_jobs.schedule_jobs(scheduler, settings)
    supplies_jobs.schedule_jobs(scheduler, settings)
    process = SchedulerProcess(scheduler, election)
    probe_redis = redis.Redis.from_url(settings.redis_url, socket_timeout=READY_TIMEOUT_SECONDS,
                                       socket_connect_timeout=READY_TIMEOUT_SECONDS)
    probe_slack = WebClient(token=settings.bot_token.get_secret_value(),
                            base_url=settings.slack_api_url, timeout=int(READY_TIMEOUT_SECONDS))
    process.probe = lambda: readiness(
        redis_client=probe_redis, slack=probe_slack, leading=lambda: election.leading,
        channels={"staffing": staffing_channel, "training": training_channel})
    return process, [probe_redis, training_channel, staffing_channel, marks, client]


def run(settings: SchedulerSettings) -> None:
    """Poll the leader lock until SIGTERM/SIGINT; only the leader's scheduler runs jobs."""
    logs.configure(service="scheduler")
    metrics.serve_metrics()
    process, resources = build(settings)
    probe = ReadinessServer(process.probe, port=settings.port,
                            address=settings.host).start()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    process.start()
    log.info("scheduler started (lock %s, ttl %.0f s)", settings.lock_name,
             settings.lock_ttl_seconds)
    try:
        while not stopping.wait(settings.poll_seconds):
            process.poll()
    finally:
        process.stop()
        probe.close()
        jobs.install(None)
        for resource in resources:
            resource.close()
