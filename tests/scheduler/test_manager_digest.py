"""The unit manager's digest by DM: expired daily, expiring soon weekly, and the shifts each
person is scheduled for after their certification lapses (asked of staffing)."""

from __future__ import annotations

from datetime import date

from bot.scheduler.scans import send_manager_digests
from tests.training.training_fixtures import NOW

ON = date(2026, 6, 15)
ZONE = "America/Los_Angeles"


def digest(weekly: bool, training, staffing, slack_web, marks):  # noqa: ANN001, ANN201
    return send_manager_digests(on=ON, now=NOW, weekly=weekly, upcoming_within_days=90,
                                time_zone=ZONE, training=training, staffing=staffing,
                                slack=slack_web, marks=marks)


def test_the_weekly_digest_lists_who_lapses_when_and_the_shifts_at_risk(
    training, staffing, slack, slack_web, marks,  # noqa: ANN001
) -> None:
    report = digest(True, training, staffing, slack_web, marks)
    assert (report.sent, report.failed) == (1, 0)  # M1 for ICU; ED has nothing to report
    [post] = slack.calls("chat.postMessage")
    assert post.body["channel"] == "DUM1"
    text = post.body["text"]
    expired, upcoming = text.split("*Expiring soon*")
    assert "Nurse N2 — ACLS expired 2026-05-31 (15 days ago)" in expired
    assert "scheduled after it lapses: Wed 2026-06-17 day shift, ICU" in expired
    assert "2026-06-10" not in text  # a shift already worked is not at risk
    assert "Nurse C1 — BLS expires 2026-07-15 (30 days left)" in upcoming
    assert "Mon 2026-07-20 day shift, ICU" in upcoming
    assert "2026-07-10" not in text  # before the lapse: still valid
    assert post.body["blocks"][0]["type"] == "header"


def test_the_daily_digest_lists_only_the_expired_and_goes_out_once(
    training, staffing, slack, slack_web, marks,  # noqa: ANN001
) -> None:
    assert digest(False, training, staffing, slack_web, marks).sent == 1
    assert digest(False, training, staffing, slack_web, marks).sent == 0
    [post] = slack.calls("chat.postMessage")
    assert "ACLS expired" in post.body["text"] and "Nurse C1" not in post.body["text"]


def test_a_digest_slack_refuses_is_sent_by_the_next_run(
    training, staffing, slack, slack_web, marks,  # noqa: ANN001
) -> None:
    slack.fail_next("chat.postMessage", 3, status=500)
    assert digest(False, training, staffing, slack_web, marks).failed == 1
    assert digest(False, training, staffing, slack_web, marks).sent == 1
    assert len([c for c in slack.calls("chat.postMessage") if not c.name]) == 1
