"""The weekly unit digest job against the demo hospital's real services and Slack's stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.scheduler import digest_jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.facilities import Facility
from bot.scheduler.links import StaffingLink, TrainingLink
from bot.scheduler.marks import Marks
from bot.scheduler.process import slack_client
from bot.scheduler.supplies_jobs import SuppliesLink
from clinops import authz
from clinops.clock import fixed_clock
from clinops.console import DemoServices
from clinops.slack_standin import SlackStandIn
from clinops.supplies.v1 import supplies_pb2, supplies_pb2_grpc
from tests.digest.digest_fixtures import (
    NOW,
    PNG_SIGNATURE,
    TODAY,
    shared_uploads,
    uploaded_bytes,
)

DEADLINE = 5.0


@pytest.fixture
def marks(tmp_path: Path) -> Iterator[Marks]:
    opened = Marks.open(f"sqlite:///{tmp_path / 'scheduler.db'}")
    yield opened
    opened.close()


@pytest.fixture
def post(services: DemoServices, slack: SlackStandIn, marks: Marks):  # noqa: ANN201
    """Run the job's delivery once, as the leader would on the digest day."""
    staffing_channel = grpc.insecure_channel(f"127.0.0.1:{services.staffing_port}")
    training_channel = grpc.insecure_channel(f"127.0.0.1:{services.training_port}")
    web = slack_client("xoxb-test", slack.base_url,
                       interval=FixedValueRetryIntervalCalculator(0.01))
    supplies = SuppliesLink(target=f"127.0.0.1:{services.supplies_port}",
                            deadline_seconds=DEADLINE, slack_token="xoxb-test",
                            slack_api_url=slack.base_url)

    def run():  # noqa: ANN202
        return digest_jobs.post_unit_digests(
            today=TODAY, clock=fixed_clock(NOW),
            staffing=StaffingLink(staffing_channel, deadline_seconds=DEADLINE),
            training=TrainingLink(training_channel, deadline_seconds=DEADLINE),
            supplies=supplies, slack=web, marks=marks)
    yield run
    staffing_channel.close()
    training_channel.close()


def test_each_unit_channel_gets_its_digest_text_and_three_png_charts(post, hospital,  # noqa: ANN001
                                                                     slack: SlackStandIn) -> None:
    report = post()
    shares = shared_uploads(slack)
    assert report.sent == len(hospital.units) == len(shares)
    assert {s["channel"] for s in shares} == {u.slack_channel_id for u in hospital.units}
    icu = next(s for s in shares if s["channel"] == "C0ICU0001")
    assert icu["text"].startswith("*ICU weekly digest* (7 days to 2026-11-26)")
    assert "fully compliant" in icu["text"]
    assert icu["titles"] == ["ICU staffing gap by shift", "ICU certification compliance",
                             "ICU supply spend vs budget"]
    charts = uploaded_bytes(slack)
    assert len(charts) == 3 * len(shares)
    assert all(chart.startswith(PNG_SIGNATURE) and len(chart) > 1000 for chart in charts)


def test_the_digest_names_no_one(post, hospital, slack: SlackStandIn) -> None:  # noqa: ANN001
    post()
    texts = " ".join(s["text"] for s in shared_uploads(slack))
    assert not [s.display_name for s in hospital.staff if s.display_name in texts]


def test_a_second_run_the_same_day_posts_nothing_again(post, slack: SlackStandIn) -> None:  # noqa: ANN001
    first = post()
    again = post()
    assert again.sent == 0 and again.skipped == first.sent
    assert len(shared_uploads(slack)) == first.sent


def test_a_digest_slack_refuses_is_posted_at_the_next_run(post, slack: SlackStandIn) -> None:  # noqa: ANN001
    slack.fail_next("files.getUploadURLExternal", 10, status=500)
    failed = post()
    assert failed.failed >= 1
    retried = post()
    assert retried.sent == failed.failed
    assert len(shared_uploads(slack)) == failed.sent + retried.sent


def test_a_unit_with_no_proposal_shows_its_real_budget(post, services: DemoServices,  # noqa: ANN001
                                                        slack: SlackStandIn) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{services.supplies_port}") as channel:
        proposals = supplies_pb2_grpc.SuppliesServiceStub(channel).ListProposals(
            supplies_pb2.ListProposalsRequest(unit_id="ICU"), timeout=DEADLINE,
            metadata=authz.service_metadata()).proposals
    assert not proposals
    post()
    icu = next(s for s in shared_uploads(slack) if s["channel"] == "C0ICU0001")
    assert "• Supplies: $0 approved in November 2026, 0% of the $40,000 budget." in icu["text"]
    assert "no budget on file" not in icu["text"]


def test_each_facility_gets_the_weekly_job_on_the_digest_day_in_its_own_zone(
        tmp_path: Path) -> None:
    settings = SchedulerSettings(bot_token="xoxb-test", slack_api_url="http://127.0.0.1:1/api/",
                                 database_url=f"sqlite:///{tmp_path / 's.db'}", digest_weekday=0)
    scheduler = BackgroundScheduler(timezone="UTC")
    for facility in (Facility("MAIN", "Main", "America/Los_Angeles"),
                     Facility("CLINIC", "Clinic", "America/New_York")):
        digest_jobs.schedule_facility(scheduler, settings, facility)
    found = {job.id: job for job in scheduler.get_jobs()}
    assert set(found) == {"digest.weekly_unit:MAIN", "digest.weekly_unit:CLINIC"}
    main = found["digest.weekly_unit:MAIN"]
    assert main.kwargs == {"facility_id": "MAIN", "time_zone": "America/Los_Angeles"}
    fire = main.trigger.get_next_fire_time(None, NOW)
    assert fire.isoformat() == "2026-11-30T07:30:00-08:00"
    following = main.trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    assert following.isoformat() == "2026-12-07T07:30:00-08:00"
    # Monday morning in New York comes three hours before California's.
    clinic = found["digest.weekly_unit:CLINIC"].trigger.get_next_fire_time(None, NOW)
    assert clinic.isoformat() == "2026-11-30T07:30:00-05:00"
