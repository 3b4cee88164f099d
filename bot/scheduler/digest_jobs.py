"""The weekly unit digest job: each unit's week in three charts, posted to the unit's channel.

Thin: staffing, training and supplies answer the numbers (bot/digest.py asks them, the same
questions `/clinops report` asks); this job renders and uploads. One post per unit and day,
claimed in the scheduler's marks so a retried or coalesced run never posts it twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from apscheduler.schedulers.base import BaseScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot import digest
from bot.scheduler import jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.facilities import Facility, add_facility_job, daily_job
from bot.scheduler.links import StaffingLink, TrainingLink, _metadata
from bot.scheduler.marks import Marks
from bot.scheduler.scans import Report
from bot.scheduler.supplies_jobs import SuppliesLink
from clinops.clock import Clock
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2
from clinops.supplies.v1 import supplies_pb2, supplies_pb2_grpc
from clinops.training.v1 import training_pb2

log = logging.getLogger(__name__)
WEEKLY_UNIT_JOB = "digest.weekly_unit"
SHIFTS = {digest.DAY: common_pb2.SHIFT_DAY, digest.NIGHT: common_pb2.SHIFT_NIGHT}


def _date(day: date) -> common_pb2.Date:
    return common_pb2.Date(year=day.year, month=day.month, day=day.day)


def digest_key(unit_id: str, day: date) -> str:
    return f"unit-digest:{unit_id}:{day.isoformat()}"


async def _unit_digest(unit: staffing_pb2.Unit, *, today: date, staffing: StaffingLink,
                       training: TrainingLink, supplies: SuppliesLink | None
                       ) -> digest.UnitDigest:
    # The blocking stubs answer in this job's own thread; asyncio only shares bot/digest.py.
    async def gap_of(day: date, shift: str) -> int | None:
        answer = staffing.stub.GetShiftGaps(staffing_pb2.GetShiftGapsRequest(
            unit_id=unit.unit_id, day=common_pb2.DaySpec(date=_date(day)), shift=SHIFTS[shift]),
            timeout=staffing.deadline, metadata=_metadata())
        return sum(g.gap for g in answer.gaps) if answer.census_recorded else None

    async def compliance_on(day: date) -> tuple[int, int]:
        answer = training.stub.GetUnitCompliance(training_pb2.GetUnitComplianceRequest(
            unit_id=unit.unit_id, on=_date(day)), timeout=training.deadline,
            metadata=_metadata())
        return answer.staff_count, answer.fully_compliant

    async def budget_of() -> tuple[int, int]:
        if supplies is None:
            return 0, 0
        async with supplies.channel() as channel:
            answer = await supplies_pb2_grpc.SuppliesServiceStub(channel).GetUnitBudget(
                supplies_pb2.GetUnitBudgetRequest(unit_id=unit.unit_id),
                timeout=supplies.deadline_seconds, metadata=_metadata())
        return answer.month_to_date_spend_cents, answer.monthly_budget_cents

    return await digest.gather(unit_id=unit.unit_id, today=today, gap_of=gap_of,
                               compliance_on=compliance_on, budget_of=budget_of)


def post_unit_digests(*, today: date, clock: Clock, staffing: StaffingLink,
                      training: TrainingLink, supplies: SuppliesLink | None,
                      slack: WebClient, marks: Marks, facility_id: str = "") -> Report:
    """Each unit (of one facility; "": all) with a channel gets its digest text and three
    charts, once for `today` (the facility's date)."""
    report = Report()
    units = staffing.stub.ListUnits(staffing_pb2.ListUnitsRequest(facility_id=facility_id),
                                    timeout=staffing.deadline, metadata=_metadata()).units
    for unit in units:
        if not unit.slack_channel_id:
            report.skipped += 1
            continue
        key = digest_key(unit.unit_id, today)
        if not marks.claim(key, clock()):
            report.skipped += 1
            continue
        try:
            week = asyncio.run(_unit_digest(unit, today=today, staffing=staffing,
                                            training=training, supplies=supplies))
            slack.files_upload_v2(channel=unit.slack_channel_id,
                                  file_uploads=digest.chart_files(week),
                                  initial_comment=digest.digest_text(week))
        except SlackClientError as error:
            log.warning("weekly digest of %s refused (%s); released for the next run",
                        unit.unit_id, type(error).__name__)
            marks.release(key)
            report.failed += 1
            continue
        except Exception:
            marks.release(key)
            raise
        report.sent += 1
    return report


def weekly_unit_digest(facility_id: str, time_zone: str) -> Report | None:
    """Weekly: each of the facility's units' gaps, compliance and spend, as charts."""
    runtime = jobs._leading_runtime()
    if runtime is None:
        return None
    report = post_unit_digests(today=runtime.today(time_zone), clock=runtime.clock,
                               staffing=runtime.staffing, training=runtime.training,
                               supplies=runtime.supplies, slack=runtime.slack,
                               marks=runtime.marks, facility_id=facility_id)
    log.info("weekly unit digest at %s: %s", facility_id, report)
    return report


@daily_job(WEEKLY_UNIT_JOB)
def schedule_facility(scheduler: BaseScheduler, settings: SchedulerSettings,
                      facility: Facility) -> None:
    """Add (or replace) one facility's weekly unit digest: the managers' digest day and time
    (Monday 07:30 unless set), facility time."""
    add_facility_job(scheduler, settings, facility, weekly_unit_digest, WEEKLY_UNIT_JOB,
                     "weekly unit digest", day_of_week=settings.digest_weekday,
                     hour=settings.digest_hour, minute=settings.digest_minute)
