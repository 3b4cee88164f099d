"""Supplies' scheduled job: the reorder scan.

Thin, like the other jobs: supplies decides what is at or below its reorder point and opens the
proposals (ScanReorders). Each new proposal's post is the proposal.created event supplies
committed with it: the notifier posts it to the unit's channel (and retries it if Slack refuses),
as for a count or an import. This job only updates the posts of proposals the scan extended.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass

import grpc
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients import CHANNEL_OPTIONS, SuppliesClient
from bot.scheduler import jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.facilities import (
    Facility,
    add_facility_job,
    daily_job,
    facility_unit_ids,
    job_options,
)
from bot.scheduler.scans import Report
from bot.supply_posts import post_new_proposals
from clinops.rpc import Caller
from clinops.supplies.v1 import supplies_pb2_grpc

log = logging.getLogger(__name__)
REORDER_SCAN_JOB = "supplies.reorder_scan"
DAILY_SCAN_JOB = "supplies.daily_reorder_scan"


@dataclass(frozen=True)
class SuppliesLink:
    """Where the supplies service and Slack are; the job opens its async clients per run."""

    target: str
    deadline_seconds: float
    slack_token: str
    slack_api_url: str
    credentials: grpc.ChannelCredentials | None = None

    def channel(self) -> grpc.aio.Channel:
        if self.credentials is None:
            return grpc.aio.insecure_channel(self.target, options=CHANNEL_OPTIONS)
        return grpc.aio.secure_channel(self.target, self.credentials, options=CHANNEL_OPTIONS)

    def slack(self) -> AsyncWebClient:
        """The bot's Web API client: SLACK_API_URL, 429 Retry-After and 5xx retries honoured."""
        return AsyncWebClient(token=self.slack_token, base_url=self.slack_api_url,
                              retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=2),
                                              AsyncRateLimitErrorRetryHandler(max_retry_count=3),
                                              AsyncServerErrorRetryHandler(max_retry_count=2)])


async def scan_and_post(*, link: SuppliesLink, unit_ids: Collection[str] | None = None) -> Report:
    """ScanReorders; update the posts of proposals it extended (new ones are posted by the
    notifier from their proposal.created events). `unit_ids`: only these units (one facility's
    daily scan); None: every unit. `sent`: the proposals the scan opened or extended."""
    report = Report()
    channel = link.channel()
    try:
        supplies = SuppliesClient(
            supplies_pb2_grpc.SuppliesServiceStub(channel),
            deadline_seconds=link.deadline_seconds,
        ).acting_for(Caller("", "", f"sched-{uuid.uuid4().hex[:8]}")).as_service()
        if unit_ids is None:
            touched = await supplies.scan_reorders()
        else:
            touched = [p for unit_id in sorted(unit_ids)
                       for p in await supplies.scan_reorders(unit_id)]
        slack = link.slack()
        for proposal in touched:
            if not (proposal.slack_message_ts or proposal.unit_slack_channel_id):
                log.warning("unit %s has no channel; %s not posted", proposal.unit_id,
                            proposal.proposal_id)
                report.skipped += 1
                continue
            try:
                await post_new_proposals(slack, supplies, [proposal])
            except SlackClientError as error:
                # The proposal stands (supplies recorded it); its post shows it at the next
                # update (a count or a scan that extends it again).
                log.warning("%s post not updated (%s)", proposal.proposal_id,
                            type(error).__name__)
                report.failed += 1
                continue
            report.sent += 1
    finally:
        await channel.close()
    return report


def reorder_scan(facility_id: str = "", time_zone: str = "") -> Report | None:
    """Daily at each facility's scan hour (its units), and every so often (every unit):
    propose what fell to its reorder point, post it."""
    runtime = jobs._leading_runtime()
    if runtime is None:
        return None
    if runtime.supplies is None:
        log.warning("no supplies service configured: reorder scan skipped")
        return None
    unit_ids = facility_unit_ids(runtime.staffing, facility_id) if facility_id else None
    report = asyncio.run(scan_and_post(link=runtime.supplies, unit_ids=unit_ids))
    log.info("reorder scan%s: %s", f" at {facility_id}" if facility_id else "", report)
    return report


@daily_job(DAILY_SCAN_JOB)
def schedule_facility(scheduler: BaseScheduler, settings: SchedulerSettings,
                      facility: Facility) -> None:
    """One facility's daily reorder scan, at its hour (before the day shift), facility time."""
    add_facility_job(scheduler, settings, facility, reorder_scan, DAILY_SCAN_JOB,
                     "supply reorder scan", hour=settings.supplies_scan_hour,
                     minute=settings.supplies_scan_minute)


def schedule_jobs(scheduler: BaseScheduler, settings: SchedulerSettings) -> None:
    """Add (or replace) the every-N-minutes scan of every unit (none when N is 0)."""
    every = settings.supplies_scan_interval_minutes
    # Between the daily scans an import's proposals wait at most one interval for their post.
    if every:
        scheduler.add_job(reorder_scan, IntervalTrigger(minutes=every),
                          id=REORDER_SCAN_JOB, name="supply reorder scan (every unit)",
                          **job_options(settings))
