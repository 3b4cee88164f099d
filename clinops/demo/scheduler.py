"""The demo's clock and its scheduler: `tick` moves time forward and runs the daily jobs that fell
due, in this process, exactly as `clinops scheduler` would run them.

The jobs are bot/scheduler's own (same job ids, cron triggers from SchedulerSettings, same scans
and delivery marks); only the Redis leader lock is replaced — the demo is the one scheduler there
is — and the scheduler's database lives under the demo's data folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import grpc
from apscheduler.schedulers.background import BackgroundScheduler

from bot.scheduler import jobs, staffing_jobs, supplies_jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.facilities import read_facilities
from bot.scheduler.links import StaffingLink, TrainingLink
from bot.scheduler.marks import Marks
from bot.scheduler.process import slack_client
from clinops.clock import Clock, system_clock

# A day the demo moves to starts here: after the reminder scan (07:00) and digest (07:30).
ARRIVE_AT = time(8, 0)


class DemoClock:
    """Real time plus an offset that only grows: the clock every demo service is given."""

    def __init__(self, base: Clock = system_clock) -> None:
        self.base = base
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self.base() + self.offset

    def move_to(self, instant: datetime) -> None:
        """From now on the clock reads `instant` (never earlier than it reads already)."""
        self.offset += max(instant - self(), timedelta(0))


class InProcessLeader:
    """Stands in for the Redis leader lock: the demo's scheduler is the only one, so it leads."""

    leading = True

    def poll(self) -> bool:
        return self.leading

    def resign(self) -> None:
        self.leading = False


def target_instant(argument: str, now: datetime, zone: ZoneInfo) -> datetime | str:
    """Where `tick [YYYY-MM-DD|+N|+Nm|+Nh]` moves the clock (default +1 day); or why it cannot.

    Another day is reached at 08:00 facility time, when its daily jobs have fallen due; the
    current day stays where it is.
    """
    today = now.astimezone(zone).date()
    argument = argument.strip() or "+1"
    # Minutes and hours (`+30m`, `+2h`) move within the day: the escalation ladder's pace.
    within_day = re.fullmatch(r"\+(\d{1,4})([mh])", argument)
    if within_day:
        amount = int(within_day.group(1))
        return now + (timedelta(minutes=amount) if within_day.group(2) == "m"
                      else timedelta(hours=amount))
    if re.fullmatch(r"\+\d{1,4}", argument):
        day = today + timedelta(days=int(argument[1:]))
    else:
        try:
            day = date.fromisoformat(argument)
        except ValueError:
            return ("tick takes a date, a number of days, or minutes or hours: `tick`, "
                    "`tick +7`, `tick 2026-12-31`, `tick +30m`, `tick +2h`.")
    if day < today:
        return f"The demo clock only moves forward: it is {today.isoformat()} already."
    if day == today:
        return now
    return datetime.combine(day, ARRIVE_AT, tzinfo=zone)


@dataclass
class JobRun:
    """One job that fell due and ran: its id, when it was due, and what its scan reported."""

    job_id: str
    name: str
    due: datetime
    report: Any


@dataclass
class DemoScheduler:
    """bot/scheduler's jobs, run when the demo clock passes their fire times."""

    clock: DemoClock
    settings: SchedulerSettings
    marks: Marks
    channels: list[grpc.Channel]
    # The home hospital's zone: where `tick` lands a day (08:00 there). Each facility's jobs
    # fire in that facility's own zone.
    time_zone: str = "UTC"
    leader: InProcessLeader = field(default_factory=InProcessLeader)
    last_checked: datetime | None = None
    _jobs: list[Any] = field(default_factory=list)

    @classmethod
    def start(cls, *, clock: DemoClock, data_dir: Path, time_zone: str, slack_api_url: str,
              training_target: str, staffing_target: str,
              supplies_target: str = "") -> DemoScheduler:
        """A fresh scheduler database under `data_dir`; jobs installed with this runtime."""
        database = data_dir / "scheduler.db"
        database.unlink(missing_ok=True)
        settings = SchedulerSettings(
            bot_token="xoxb-clinops-demo", slack_api_url=slack_api_url,
            database_url=f"sqlite:///{database}",
            training_target=training_target, staffing_target=staffing_target,
            **({"supplies_target": supplies_target} if supplies_target else {}))
        marks = Marks.open(settings.database_url)
        training_channel = grpc.insecure_channel(settings.training_target)
        staffing_channel = grpc.insecure_channel(settings.staffing_target)
        demo = cls(clock=clock, settings=settings, marks=marks,
                   channels=[training_channel, staffing_channel], last_checked=clock(),
                   time_zone=time_zone)
        staffing = StaffingLink(staffing_channel, deadline_seconds=settings.rpc_deadline_seconds)
        jobs.install(jobs.Runtime(
            training=TrainingLink(training_channel,
                                  deadline_seconds=settings.rpc_deadline_seconds),
            staffing=staffing,
            slack=slack_client(settings.bot_token.get_secret_value(), settings.slack_api_url),
            marks=marks, clock=clock,
            is_leading=lambda: demo.leader.leading, digest_weekday=settings.digest_weekday,
            upcoming_within_days=settings.upcoming_within_days,
            supplies=supplies_jobs.SuppliesLink(
                target=settings.supplies_target,
                deadline_seconds=settings.supplies_scan_deadline_seconds,
                slack_token=settings.bot_token.get_secret_value(),
                slack_api_url=settings.slack_api_url) if supplies_target else None))
        # The production schedule, read from a scheduler that is never started: same ids,
        # same cron triggers, one set of daily jobs per facility in that facility's zone.
        scheduler = BackgroundScheduler(timezone="UTC")
        jobs.schedule_jobs(scheduler, settings, read_facilities(staffing))
        staffing_jobs.schedule_jobs(scheduler, settings)
        supplies_jobs.schedule_jobs(scheduler, settings)
        demo._jobs = scheduler.get_jobs()
        return demo

    def due_since_last_check(self) -> list[tuple[datetime, Any]]:
        """Each job whose trigger fired since the last check, once (coalesced), by fire time."""
        now = self.clock()
        since = (self.last_checked or now) + timedelta(microseconds=1)
        due = []
        for job in self._jobs:
            fire = job.trigger.get_next_fire_time(None, since)
            if fire is None or fire > now:
                continue
            # Coalesced into one run: report the latest fire time passed, as APScheduler does.
            for _ in range(100_000):  # bounded: a 1-minute trigger over ~70 days
                later = job.trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
                if later is None or later > now:
                    break
                fire = later
            due.append((fire, job))
        self.last_checked = now
        return sorted(due, key=lambda pair: pair[0])

    def run_due(self) -> list[JobRun]:
        """Run what fell due (blocking: gRPC and Slack calls), as the leader would."""
        if not self.leader.poll():
            return []
        return [JobRun(job.id, job.name, fire, job.func(*job.args, **job.kwargs))
                for fire, job in self.due_since_last_check()]

    def stop(self) -> None:
        self.leader.resign()
        jobs.install(None)
        for channel in self.channels:
            channel.close()
        self.marks.close()
