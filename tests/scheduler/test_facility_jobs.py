"""Two facilities in two zones, run by APScheduler itself under a clock the test moves: each
facility's reminders go out when 07:00 comes *there*, and cover only that facility's units."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from apscheduler.executors import base as apscheduler_executors
from apscheduler.executors.debug import DebugExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import base as apscheduler_base
from apscheduler.schedulers.base import BaseScheduler

from bot.scheduler import jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.facilities import read_facilities, schedule_refresh
from clinops.outbox import pending_events
from services.staffing.model import Facility, Unit, UnitCategory
from services.staffing.store import StaffingStore
from services.training.outbox import OUTBOX
from services.training.store import TrainingStore
from tests.training.training_fixtures import card

NEW_YORK = "America/New_York"
# Monday 15 June 2026 (daylight time): 07:30 in New York is 04:30 in California.
NY_MORNING = datetime(2026, 6, 15, 11, 30, tzinfo=UTC)
LA_MORNING = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)


class MovableClock:
    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant


class SteppedScheduler(BaseScheduler):
    """APScheduler's own job processing (due times, coalescing, the persistent store), run when
    the test says and at the instant its clock reads: no thread, no waiting."""

    def __init__(self, clock: MovableClock, **options: object) -> None:
        self.clock = clock
        super().__init__(**options)

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def step(self, monkeypatch: pytest.MonkeyPatch) -> None:
        with monkeypatch.context() as patched:
            read_clock(patched, self.clock)
            self._process_jobs()


def read_clock(patched: pytest.MonkeyPatch, clock: MovableClock) -> None:
    """APScheduler asks datetime.now() for the time (scheduler and executor): it gets `clock`."""
    class Now(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return clock().astimezone(tz)

    for module in (apscheduler_base, apscheduler_executors):
        patched.setattr(module, "datetime", Now)


@pytest.fixture
def two_facilities(staffing_store: StaffingStore, training_store: TrainingStore) -> None:
    """The ICU stays at the main hospital (Los Angeles); the ED is a New York facility's, and
    its nurse N3's PALS expires 30 days after the 15th."""
    staffing_store.add_facility(Facility("NYC", "Hudson Medical Center", NEW_YORK))
    staffing_store.add_unit(Unit("ED", "Emergency Department", UnitCategory.EMERGENCY, "C_ED",
                                 NEW_YORK, facility_id="NYC"))
    training_store.put_records([card("N3", "PALS", date(2026, 7, 15))])


@pytest.fixture
def scheduler(two_facilities, training, staffing, slack_web, marks, scheduler_db,  # noqa: ANN001
              ) -> Iterator[SteppedScheduler]:
    clock = MovableClock(datetime(2026, 6, 15, 9, 0, tzinfo=UTC))  # night in both zones
    runtime = jobs.Runtime(training=training, staffing=staffing, slack=slack_web, marks=marks,
                           clock=clock, is_leading=lambda: True)
    jobs.install(runtime)
    settings = SchedulerSettings(database_url=scheduler_db, bot_token="xoxb-test")
    stepped = SteppedScheduler(clock, timezone="UTC",
                               jobstores={"default": SQLAlchemyJobStore(url=scheduler_db)},
                               executors={"default": DebugExecutor()})
    stepped.start(paused=True)
    runtime.on_facilities = functools.partial(jobs.schedule_jobs, stepped, settings)
    monkeypatch = pytest.MonkeyPatch()
    with monkeypatch.context() as patched:
        read_clock(patched, clock)  # the jobs' first fire times come from the test's clock too
        jobs.schedule_jobs(stepped, settings, read_facilities(staffing))
        schedule_refresh(stepped, settings, now=datetime(2026, 6, 16, 0, 5, tzinfo=UTC))
    stepped.resume()
    yield stepped
    stepped.shutdown(wait=False)
    jobs.install(None)


def reminded(store: TrainingStore) -> list[str]:
    """Whose reminders were queued (the notifier DMs them), in order."""
    return [event.payload["staff_id"] for event in pending_events(store.engine, OUTBOX)
            if event.kind == "reminder.due"]


def test_only_the_facility_whose_seven_oclock_has_come_queues_its_reminders(
        scheduler: SteppedScheduler, training_store: TrainingStore,
        monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = {job.id for job in scheduler.get_jobs()}
    assert {"training.certification_reminders:MAIN",
            "training.certification_reminders:NYC"} <= ids

    scheduler.step(monkeypatch)
    assert reminded(training_store) == []  # 05:00 in New York, 02:00 in California

    scheduler.clock.instant = NY_MORNING
    scheduler.step(monkeypatch)
    # 07:30 in New York: the ED's nurse; nobody of the ICU, where it is 04:30.
    assert reminded(training_store) == ["N3"]

    scheduler.clock.instant = LA_MORNING
    scheduler.step(monkeypatch)
    # 07:30 in California: the ICU's two reminders; the ED's is not queued again.
    assert sorted(reminded(training_store)) == ["C1", "N2", "N3"]


def test_the_daily_refresh_gives_a_facility_added_since_start_its_jobs_in_its_zone(
        scheduler: SteppedScheduler, staffing_store: StaffingStore,
        monkeypatch: pytest.MonkeyPatch,
) -> None:
    staffing_store.add_facility(Facility("DEN", "Front Range Medical Center", "America/Denver"))
    scheduler.clock.instant = datetime(2026, 6, 15, 23, 0, tzinfo=UTC)
    scheduler.step(monkeypatch)
    assert "training.certification_reminders:DEN" not in {j.id for j in scheduler.get_jobs()}
    scheduler.clock.instant = datetime(2026, 6, 16, 0, 10, tzinfo=UTC)  # after the 00:05 refresh
    scheduler.step(monkeypatch)
    den = scheduler.get_job("training.certification_reminders:DEN")
    assert den is not None and str(den.trigger.timezone) == "America/Denver"
    assert den.next_run_time == datetime(2026, 6, 16, 13, 0, tzinfo=UTC)  # 07:00 in Denver
