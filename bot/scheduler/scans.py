"""The daily certification scan and the managers' digest: ask the services, post to Slack.

What is due, expired or expiring is decided by training; these functions only deliver, each
reminder claimed before its DM and marked sent (or released for a retry) after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import grpc
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.scheduler.links import StaffingLink, TrainingLink
from bot.scheduler.marks import Marks
from bot.scheduler.messages import (
    DigestLine,
    digest_blocks,
    digest_text,
    reminder_blocks,
    reminder_text,
)
from clinops import metrics
from clinops.rpc import Caller

log = logging.getLogger(__name__)
REMINDER_SCAN = "certification_reminders"


@dataclass
class Report:
    """What one run did; a run with failures leaves its day to be retried."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    stopped: bool = False


def send_dm(slack: WebClient, user_id: str, text: str, blocks: list[dict]) -> None:
    """conversations.open then chat.postMessage; raises SlackClientError when Slack refuses."""
    channel = slack.conversations_open(users=user_id)["channel"]["id"]
    slack.chat_postMessage(channel=channel, text=text, blocks=blocks)


def send_certification_reminders(
    *, on: date, training: TrainingLink, slack: WebClient, marks: Marks,
    still_leading: Callable[[], bool] = lambda: True,
) -> Report:
    """DM everyone crossing a reminder threshold since the last complete scan, each once."""
    report = Report()
    since = marks.last_success(REMINDER_SCAN)
    if since is not None and since >= on:
        return report  # today's scan is complete already
    for item in training.list_expiring(on=on, since=since):
        if not still_leading():
            report.stopped = True
            break
        claim_id = training.claim(item)
        if not claim_id:
            report.skipped += 1  # another scheduler sent it, or is sending it now
            continue
        text = reminder_text(item, on=on)
        try:
            send_dm(slack, item.slack_user_id, text, reminder_blocks(text))
        except SlackClientError as error:
            log.warning("reminder DM to staff %s refused (%s); released for the next scan",
                        item.record.staff_id, type(error).__name__)
            training.settle(item, claim_id, sent=False)
            report.failed += 1
            continue
        except BaseException:
            training.settle(item, claim_id, sent=False)
            raise
        training.settle(item, claim_id, sent=True)
        report.sent += 1
        metrics.REMINDERS_SENT.inc()
    if not (report.failed or report.stopped):
        marks.record_success(REMINDER_SCAN, on)
    return report


def _shifts_after_lapse(item, manager: Caller, staffing: StaffingLink, *, now: datetime,  # noqa: ANN001
                        zone: ZoneInfo) -> tuple | None:
    record = item.record
    expires = date(record.expires_on.year, record.expires_on.month, record.expires_on.day)
    lapse = datetime.combine(expires + timedelta(days=1), time(0), tzinfo=zone)
    try:
        return tuple(staffing.shifts_after(record.staff_id, max(lapse, now), acting_for=manager))
    except grpc.RpcError as error:
        log.warning("staffing did not list shifts of %s: %s", record.staff_id, error.code())
        return None


def send_manager_digests(
    *, on: date, now: datetime, weekly: bool, upcoming_within_days: int, time_zone: str,
    training: TrainingLink, staffing: StaffingLink, slack: WebClient, marks: Marks,
    still_leading: Callable[[], bool] = lambda: True,
) -> Report:
    """Each unit manager's digest by DM: expired daily, expiring soon weekly, shifts at risk."""
    report = Report()
    zone = ZoneInfo(time_zone)
    kind = "weekly" if weekly else "daily"
    for unit in training.digest(on=on, upcoming_within_days=upcoming_within_days if weekly else 0):
        for manager in unit.managers:
            if not still_leading():
                report.stopped = True
                return report
            key = f"digest:{kind}:{on.isoformat()}:{unit.unit_id}:{manager.staff_id}"
            if not marks.claim(key, now):
                report.skipped += 1
                continue
            try:
                caller = Caller(manager.slack_team_id, manager.slack_user_id)
                expired, upcoming = ([DigestLine(item, _shifts_after_lapse(
                    item, caller, staffing, now=now, zone=zone)) for item in items]
                    for items in (unit.expired, unit.upcoming))
                text = digest_text(unit.unit_name, expired, upcoming, on=on, zone=zone)
                send_dm(slack, manager.slack_user_id, text,
                        digest_blocks(unit.unit_name, expired, upcoming, on=on, zone=zone))
            except SlackClientError as error:
                log.warning("digest for %s to %s refused (%s); the next run retries",
                            unit.unit_id, manager.staff_id, type(error).__name__)
                marks.release(key)
                report.failed += 1
                continue
            except BaseException:
                marks.release(key)
                raise
            report.sent += 1
    return report
