"""Staffing's scheduled jobs against real staffing over gRPC (port 0) and the Slack stand-in,
under a clock the test moves: the ladder's steps in the open shift's thread and float-pool DMs
at their times, nothing once filled; the pre-shift gap posted once per gap state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bot.ids import ActionId
from bot.scheduler import jobs, staffing_jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.links import StaffingLink
from services.staffing import usecases
from services.staffing.eligibility import CertificationAnswer
from services.staffing.model import Census, Duty, Role, Shift
from services.staffing.server import create_server
from services.staffing.store import StaffingStore, migrate
from tests.staffing.staffing_fixtures import SHIFT_DATE, TEAM, nurse, populate

OPENED = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 10:00 in California
NIGHT_ALERT = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 17:00: 2 h before the night shift
THREAD = "1764180000.000100"
MINUTE = timedelta(minutes=1)


class MovableClock:
    """The one clock of staffing and the scheduler; the test moves it, nothing sleeps."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant


class Certifications:
    def check(self, **_: object) -> CertificationAnswer:
        return CertificationAnswer(True)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(OPENED)


@pytest.fixture
def store(new_database: Callable[[str], str]) -> Iterator[StaffingStore]:
    """The staffing fixtures' ICU (S6 is its float-pool RN) and a house supervisor, H1."""
    url = new_database("staffing")
    migrate(url)
    opened = StaffingStore.open(url)
    populate(opened)
    opened.add_staff(nurse("H1", home=None, duties=(Duty.SUPERVISOR,)))
    yield opened
    opened.close()


@pytest.fixture
def runtime(store, clock, slack_web, marks) -> Iterator[jobs.Runtime]:  # noqa: ANN001
    server, port = create_server(store=store, clock=clock, certifications=Certifications(),
                                 escalation_wait=timedelta(minutes=30))
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    installed = jobs.Runtime(
        training=None, staffing=StaffingLink(channel, deadline_seconds=5.0), slack=slack_web,
        marks=marks, clock=clock, is_leading=lambda: True)
    jobs.install(installed)
    yield installed
    jobs.install(None)
    channel.close()
    server.stop(None)


def report_posted(store: StaffingStore, clock: MovableClock) -> str:
    """The charge nurse reports a night call-out at OPENED; the bot posted it at THREAD."""
    clock.instant = OPENED
    opened = usecases.report_gap(unit_id="ICU", role=Role.RN, slots=1, day=SHIFT_DATE,
                                 shift=Shift.NIGHT, reason="call-out", slack_team_id=TEAM,
                                 slack_user_id="US1", store=store, clock=clock)
    store.set_open_shift_message(opened.open_shift_id, "C_ICU", THREAD)
    return opened.open_shift_id


def thread_posts(slack) -> list[str]:  # noqa: ANN001
    return [c.body["text"] for c in slack.calls("chat.postMessage")
            if c.body.get("thread_ts") == THREAD]


def run_ladder_at(clock: MovableClock, after: timedelta):  # noqa: ANN201
    clock.instant = OPENED + after
    return staffing_jobs.escalation_ladder()


def test_each_ladder_step_is_posted_in_the_shifts_thread_at_its_time(
    runtime, store, clock, slack,  # noqa: ANN001
) -> None:
    report_posted(store, clock)
    run_ladder_at(clock, 29 * MINUTE)
    assert thread_posts(slack) == []
    run_ladder_at(clock, 30 * MINUTE)
    run_ladder_at(clock, 30 * MINUTE)  # a second run for the same due time posts nothing
    assert thread_posts(slack) == [
        "No taker after 30 min: offered to the float pool (1 eligible float-pool nurse "
        "messaged)."]
    for minutes in (60, 90, 120, 150, 240):
        run_ladder_at(clock, minutes * MINUTE)
    assert thread_posts(slack)[1:] == [
        "No taker after 30 min: incentive offered — premium pay for whoever claims this shift.",
        "No taker after 30 min: house supervisor <@UH1> notified.",
        "No taker after 30 min: agency request raised.",
    ]


def test_the_float_pool_step_dms_each_eligible_float_nurse_the_claim_button(
    runtime, store, clock, slack,  # noqa: ANN001
) -> None:
    open_shift_id = report_posted(store, clock)
    run_ladder_at(clock, 30 * MINUTE)
    assert [c.body["users"] for c in slack.calls("conversations.open")] == ["US6"]
    (dm,) = [c.body for c in slack.calls("chat.postMessage") if c.body["channel"] == "DUS6"]
    assert dm["text"].startswith("The float pool is asked to cover this shift. Open shift ICU")
    buttons = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ActionId.CLAIM_OPEN_SHIFT, open_shift_id)]


def test_the_ladder_stops_when_the_shift_is_filled(runtime, store, clock, slack) -> None:  # noqa: ANN001
    open_shift_id = report_posted(store, clock)
    run_ladder_at(clock, 30 * MINUTE)
    store.award(open_shift_id, "S6", OPENED + 45 * MINUTE)
    for minutes in (60, 90, 120):
        run_ladder_at(clock, minutes * MINUTE)
    assert len(thread_posts(slack)) == 1


def night_census(store: StaffingStore, patients: int) -> None:
    store.record_census("ICU", SHIFT_DATE, Shift.NIGHT, Census(patients=patients))


def channel_posts(slack, channel: str = "C_ICU") -> list[str]:  # noqa: ANN001
    """What Slack accepted into the channel itself (refused attempts are left out)."""
    return [c.body["text"] for c in slack.calls("chat.postMessage")
            if c.body["channel"] == channel and not c.body.get("thread_ts") and not c.name]


def run_preshift_at(clock: MovableClock, instant: datetime):  # noqa: ANN201
    clock.instant = instant
    return staffing_jobs.preshift_alerts(hours_before=2)


def test_the_preshift_gap_is_posted_once_and_again_only_when_it_changes(
    runtime, store, clock, slack,  # noqa: ANN001
) -> None:
    night_census(store, 4)
    run_preshift_at(clock, NIGHT_ALERT - MINUTE)
    assert channel_posts(slack) == []
    for minutes in (0, 5, 10):
        run_preshift_at(clock, NIGHT_ALERT + minutes * MINUTE)
    assert channel_posts(slack) == [
        ":warning: ICU — Night shift 2026-11-26, 19:00–07:00 starts within 2 h and is still "
        "short: 2 Licensed nurse; 1 CNA."]
    night_census(store, 6)
    run_preshift_at(clock, NIGHT_ALERT + 15 * MINUTE)
    run_preshift_at(clock, NIGHT_ALERT + 20 * MINUTE)
    assert channel_posts(slack)[1:] == [
        ":warning: ICU — Night shift 2026-11-26, 19:00–07:00 starts within 2 h and is still "
        "short: 3 Licensed nurse; 1 CNA."]
    assert channel_posts(slack, "C_4W") == []  # 4W has no census: nothing is short


def test_a_fully_staffed_shift_gets_no_preshift_post(runtime, store, clock, slack) -> None:  # noqa: ANN001
    # The fixtures' day shift has 3 RNs and a CNA on it: at 6 patients nothing is short.
    store.record_census("ICU", SHIFT_DATE, Shift.DAY, Census(patients=6))
    run_preshift_at(clock, datetime(2026, 11, 26, 13, 0, tzinfo=UTC))  # 05:00 in California
    assert slack.calls("chat.postMessage") == []


def test_a_preshift_post_slack_refuses_is_posted_by_the_next_run(
    runtime, store, clock, slack,  # noqa: ANN001
) -> None:
    night_census(store, 4)
    slack.fail_next("chat.postMessage", 3, status=500)  # the attempt and both retries
    first = run_preshift_at(clock, NIGHT_ALERT)
    assert (first.sent, first.failed) == (0, 1)
    second = run_preshift_at(clock, NIGHT_ALERT + 5 * MINUTE)
    assert (second.sent, second.failed) == (1, 0)
    assert len(channel_posts(slack)) == 1


def test_a_standby_scheduler_runs_neither_staffing_job(runtime, store, clock, slack) -> None:  # noqa: ANN001
    report_posted(store, clock)
    night_census(store, 4)
    runtime.is_leading = lambda: False
    assert run_ladder_at(clock, 30 * MINUTE) is None
    assert run_preshift_at(clock, NIGHT_ALERT) is None
    assert slack.calls("chat.postMessage") == []


def test_the_staffing_jobs_are_stored_with_ids_every_few_minutes(scheduler_db) -> None:  # noqa: ANN001
    settings = SchedulerSettings(database_url=scheduler_db, bot_token="xoxb-test",
                                 preshift_hours=3, staffing_poll_minutes=5)
    for _ in range(2):  # a restart replaces the jobs rather than doubling them
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=scheduler_db)})
        staffing_jobs.schedule_jobs(scheduler, settings)
        scheduler.start(paused=True)
        found = {job.id: job for job in scheduler.get_jobs()}
        scheduler.shutdown(wait=False)
    assert set(found) == {staffing_jobs.ESCALATION_JOB, staffing_jobs.PRESHIFT_JOB}
    preshift = found[staffing_jobs.PRESHIFT_JOB]
    assert preshift.kwargs == {"hours_before": 3.0} and preshift.coalesce is True
    assert preshift.trigger.interval == timedelta(minutes=5)
    assert found[staffing_jobs.ESCALATION_JOB].func_ref == (
        "bot.scheduler.staffing_jobs:escalation_ladder")
