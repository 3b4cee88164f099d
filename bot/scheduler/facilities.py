"""One set of daily jobs per facility, each in the facility's own time zone.

The facilities come from staffing (ListFacilities) when the process starts and again every day
(`refresh_facilities`), so a facility added, moved to another zone or closed gets its jobs added,
moved or removed without a restart. Each daily job carries its facility's id and zone as
arguments: a job in the persistent store runs in the right zone even before the first refresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import grpc
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.scheduler.config import SchedulerSettings
from bot.scheduler.links import StaffingLink, _metadata
from clinops.staffing.v1 import staffing_pb2

log = logging.getLogger(__name__)
REFRESH_JOB = "facilities.refresh"


@dataclass(frozen=True)
class Facility:
    facility_id: str
    name: str
    time_zone: str


def job_id(base: str, facility_id: str) -> str:
    """`training.certification_reminders:MAIN`: one job per (kind, facility)."""
    return f"{base}:{facility_id}"


def local_today(now: datetime, time_zone: str) -> date:
    """The facility's date at `now`: 23:30 in New York is still today there."""
    return now.astimezone(ZoneInfo(time_zone)).date()


def read_facilities(staffing: StaffingLink) -> list[Facility]:
    answer = staffing.stub.ListFacilities(staffing_pb2.ListFacilitiesRequest(),
                                          timeout=staffing.deadline, metadata=_metadata())
    return [Facility(f.facility_id, f.name, f.time_zone) for f in answer.facilities]


def facility_unit_ids(staffing: StaffingLink, facility_id: str) -> set[str]:
    """The ids of the facility's units: what one facility's scan covers."""
    answer = staffing.stub.ListUnits(staffing_pb2.ListUnitsRequest(facility_id=facility_id),
                                     timeout=staffing.deadline, metadata=_metadata())
    return {unit.unit_id for unit in answer.units}


# (job id base, adds that job for one facility) — filled by the job modules at import.
Adder = Callable[[BaseScheduler, SchedulerSettings, Facility], None]
DAILY_JOBS: dict[str, Adder] = {}


def daily_job(base: str) -> Callable[[Adder], Adder]:
    """Register how to add the `base` job for one facility."""
    def register(adder: Adder) -> Adder:
        DAILY_JOBS[base] = adder
        return adder
    return register


def facility_trigger(facility: Facility, **cron: int) -> CronTrigger:
    return CronTrigger(timezone=ZoneInfo(facility.time_zone), **cron)


def job_options(settings: SchedulerSettings) -> dict:
    """What every scheduled job shares: replaced by id after a restart (the store persists it),
    runs missed while down coalesced into one and caught up within the misfire grace, one at a
    time."""
    return {"replace_existing": True, "coalesce": True, "max_instances": 1,
            "misfire_grace_time": settings.misfire_grace_seconds}


def add_facility_job(scheduler: BaseScheduler, settings: SchedulerSettings, facility: Facility,
                     func: Callable[..., object], base: str, name: str, **cron: int) -> None:
    """`func` daily (or as `cron` says) in the facility's zone, told its facility and zone."""
    scheduler.add_job(func, facility_trigger(facility, **cron),
                      kwargs={"facility_id": facility.facility_id,
                              "time_zone": facility.time_zone},
                      id=job_id(base, facility.facility_id), name=name, **job_options(settings))


def schedule_facility_jobs(scheduler: BaseScheduler, settings: SchedulerSettings,
                           facilities: Sequence[Facility]) -> None:
    """Add (or replace) each facility's daily jobs; remove those of facilities gone, and the
    single-zone jobs of before facilities (same base id, no facility)."""
    keep = set()
    for facility in facilities:
        for base, add in DAILY_JOBS.items():
            add(scheduler, settings, facility)
            keep.add(job_id(base, facility.facility_id))
    for job in scheduler.get_jobs():
        base = job.id.split(":", 1)[0]
        if base in DAILY_JOBS and job.id not in keep:
            log.info("job %s removed: its facility is no longer listed", job.id)
            scheduler.remove_job(job.id)


def schedule_refresh(scheduler: BaseScheduler, settings: SchedulerSettings, *,
                     now: datetime | None = None) -> None:
    """The daily re-read of the facility list, and one run as soon as this process leads."""
    from bot.scheduler import jobs  # the job functions live beside the runtime

    scheduler.add_job(jobs.refresh_facilities, CronTrigger(hour=0, minute=5, timezone=UTC),
                      id=REFRESH_JOB, name="facility list refresh",
                      next_run_time=now or datetime.now(UTC), **job_options(settings))


def initial_facilities(staffing: StaffingLink) -> list[Facility]:
    """The list at start; empty (the persisted jobs stand until the refresh) when staffing is
    not answering yet."""
    try:
        return read_facilities(staffing)
    except grpc.RpcError as error:
        log.warning("staffing did not list facilities at start (%s); the refresh job retries",
                    error.code())
        return []
