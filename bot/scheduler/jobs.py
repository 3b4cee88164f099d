"""The scheduled jobs: thin module-level functions (the job store keeps their dotted names).

The process installs its Runtime once (`install`); each daily job runs for one facility (its id
and zone are the job's arguments), asks for today's date there and the clients, checks it still
leads, and calls a scan over that facility's units only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from apscheduler.schedulers.base import BaseScheduler
from slack_sdk import WebClient

from bot.scheduler import scans
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.facilities import (
    Facility,
    add_facility_job,
    daily_job,
    facility_unit_ids,
    job_id,
    local_today,
    read_facilities,
    schedule_facility_jobs,
)
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
    is_leading: Callable[[], bool]
    digest_weekday: int = 0
    upcoming_within_days: int = 90
    # The reorder scan's supplies service and async Slack client (None: the scan is skipped).
    supplies: SuppliesLink | None = None
    # Re-schedules the facilities' daily jobs after the daily refresh read the list again.
    on_facilities: Callable[[list[Facility]], None] | None = None

    def today(self, time_zone: str) -> date:
        """The date now at a facility in `time_zone`."""
        return local_today(self.clock(), time_zone)


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


def certification_reminders(facility_id: str, time_zone: str) -> scans.QueueReport | None:
    """Daily at the facility's reminder time: training queues each reminder due (the notifier
    DMs it from its event), once."""
    runtime = _leading_runtime()
    if runtime is None:
        return None
    report = scans.queue_certification_reminders(
        on=runtime.today(time_zone), training=runtime.training, marks=runtime.marks,
        still_leading=runtime.is_leading,
        unit_ids=facility_unit_ids(runtime.staffing, facility_id),
        scan=job_id(scans.REMINDER_SCAN, facility_id))
    log.info("certification reminders at %s: %s", facility_id, report)
    return report


def manager_digest(facility_id: str, time_zone: str) -> scans.Report | None:
    """Daily (expired) and weekly (expiring soon): each of the facility's unit managers by DM."""
    runtime = _leading_runtime()
    if runtime is None:
        return None
    on = runtime.today(time_zone)
    report = scans.send_manager_digests(
        on=on, now=runtime.clock(), weekly=on.weekday() == runtime.digest_weekday,
        upcoming_within_days=runtime.upcoming_within_days, time_zone=time_zone,
        training=runtime.training, staffing=runtime.staffing, slack=runtime.slack,
        marks=runtime.marks, still_leading=runtime.is_leading,
        unit_ids=facility_unit_ids(runtime.staffing, facility_id))
    log.info("manager digest at %s: %s", facility_id, report)
    return report


def refresh_facilities() -> list[Facility] | None:
    """Daily (and at start): read the facility list again and re-schedule their jobs."""
    runtime = _leading_runtime()
    if runtime is None:
        return None
    facilities = read_facilities(runtime.staffing)
    if runtime.on_facilities is not None:
        runtime.on_facilities(facilities)
    log.info("facilities: %s", ", ".join(f.facility_id for f in facilities) or "none")
    return facilities


@daily_job(REMINDERS_JOB)
def _add_reminders(scheduler: BaseScheduler, settings: SchedulerSettings,
                   facility: Facility) -> None:
    add_facility_job(scheduler, settings, facility, certification_reminders, REMINDERS_JOB,
                     "certification reminders", hour=settings.reminder_hour,
                     minute=settings.reminder_minute)


@daily_job(DIGEST_JOB)
def _add_manager_digest(scheduler: BaseScheduler, settings: SchedulerSettings,
                        facility: Facility) -> None:
    add_facility_job(scheduler, settings, facility, manager_digest, DIGEST_JOB,
                     "managers' certification digest", hour=settings.digest_hour,
                     minute=settings.digest_minute)


def schedule_jobs(scheduler: BaseScheduler, settings: SchedulerSettings,
                  facilities: Sequence[Facility]) -> None:
    """Add (or replace, after a restart) every facility's daily jobs, each in its zone."""
    # The other modules register their daily jobs on import.
    from bot.scheduler import digest_jobs, supplies_jobs  # noqa: F401

    schedule_facility_jobs(scheduler, settings, facilities)
