"""The scheduled jobs: thin module-level functions (the job store keeps their dotted names).

The process installs its Runtime once (`install`); each job asks it for today's date at the
facility and the clients, checks it still leads, and calls a scan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient

from bot.scheduler import scans
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.links import StaffingLink, TrainingLink
from bot.scheduler.marks import Marks
from clinops.clock import Clock

if TYPE_CHECKING:
    from bot.scheduler.supplies_jobs import SuppliesLink

log = logging.getLogger(__name__)
REMINDERS_JOB = "training.certification_reminders"
DIGEST_JOB = "training.manager_digest"


@dataclass
class Runtime:
    """What the jobs of this process use; built by the composition root (or a test)."""

    training: TrainingLink
    staffing: StaffingLink
    slack: WebClient
    marks: Marks
    clock: Clock
    time_zone: str
    is_leading: Callable[[], bool]
    digest_weekday: int = 0
    upcoming_within_days: int = 90
    # The reorder scan's supplies service and async Slack client (None: the scan is skipped).
    supplies: SuppliesLink | None = None

    def today(self) -> date:
        return self.clock().astimezone(ZoneInfo(self.time_zone)).date()


_runtime: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    """Give the jobs of this process their clients (None: uninstall)."""
    global _runtime
    _runtime = runtime


def _leading_runtime() -> Runtime | None:
    if _runtime is None:
        raise RuntimeError("the scheduler's runtime is not installed")
    if not _runtime.is_leading():
        log.info("not the leader: job skipped")
        return None
    return _runtime


def certification_reminders() -> scans.Report | None:
    """Daily: DM each certification reminder that is due, once."""
    runtime = _leading_runtime()
    if runtime is None:
        return None
    report = scans.send_certification_reminders(
        on=runtime.today(), training=runtime.training, slack=runtime.slack,
        marks=runtime.marks, still_leading=runtime.is_leading)
    log.info("certification reminders: %s", report)
    return report


def manager_digest() -> scans.Report | None:
    """Daily (expired) and weekly (expiring soon): each unit manager's digest by DM."""
    runtime = _leading_runtime()
    if runtime is None:
        return None
    on = runtime.today()
    report = scans.send_manager_digests(
        on=on, now=runtime.clock(), weekly=on.weekday() == runtime.digest_weekday,
        upcoming_within_days=runtime.upcoming_within_days, time_zone=runtime.time_zone,
        training=runtime.training, staffing=runtime.staffing, slack=runtime.slack,
        marks=runtime.marks, still_leading=runtime.is_leading)
    log.info("manager digest: %s", report)
    return report


def schedule_jobs(scheduler: BaseScheduler, settings: SchedulerSettings) -> None:
    """Add (or replace, after a restart) the jobs with explicit ids in the facility's zone."""
    zone = ZoneInfo(settings.time_zone)
    common = {"replace_existing": True, "coalesce": True, "max_instances": 1,
              "misfire_grace_time": settings.misfire_grace_seconds}
    scheduler.add_job(certification_reminders, CronTrigger(
        hour=settings.reminder_hour, minute=settings.reminder_minute, timezone=zone),
        id=REMINDERS_JOB, name="certification reminders", **common)
    scheduler.add_job(manager_digest, CronTrigger(
        hour=settings.digest_hour, minute=settings.digest_minute, timezone=zone),
        id=DIGEST_JOB, name="managers' certification digest", **common)
