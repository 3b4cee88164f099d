"""The daily certification scan and the managers' digest: ask the services, post to Slack.

What is due, expired or expiring is decided by training. The scan asks training to queue the
day's reminders as events (the notifier DMs them, as every announcement); the digest, a report
rather than an event, is DMed from here, each claimed before its DM.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import grpc
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.models.metadata import Metadata

from bot.scheduler.links import StaffingLink, TrainingLink
from bot.scheduler.marks import Marks
from bot.scheduler.messages import DigestLine, digest_blocks, digest_text
from clinops.rpc import Caller

log = logging.getLogger(__name__)
REMINDER_SCAN = "certification_reminders"


@dataclass
class Report:
    """What one run did; a run with failures leaves its day to be retried."""

    sent: int = 0
    skipped: int = 0
    in_flight: int = 0
    failed: int = 0
    stopped: bool = False

    def summary(self) -> str:
        return f"{self.sent} sent, {self.skipped} already sent, {self.failed} failed"


@dataclass
class QueueReport:
    """What one reminder scan queued in training (the notifier DMs them from the events)."""

    queued: int = 0
    requeued: int = 0
    already_queued: int = 0
    stopped: bool = False

    def summary(self) -> str:
        return (f"{self.queued} queued, {self.requeued} queued again, "
                f"{self.already_queued} already queued")


def queue_certification_reminders(
    *, on: date, training: TrainingLink, marks: Marks,
    still_leading: Callable[[], bool] = lambda: True,
    unit_ids: Collection[str] | None = None, scan: str = REMINDER_SCAN,
) -> QueueReport:
    """Have training queue everyone crossing a reminder threshold since the last complete scan.

    Training writes each as a `reminder.due` event with its queued mark, once, and queues again
    one never recorded sent after its lease (dead-lettered or lost), even when today's scan is
    complete: so the RPC is made every run. `unit_ids`: only people of these units (one
    facility's; None: everyone) and those with no home unit (educators, float pool): each
    facility's scan offers them and the first morning to come queues them. `scan` names the mark
    of the last complete scan (one per facility: each has its own "today"). A failed call
    raises and leaves the day to the next run.
    """
    if not still_leading():
        return QueueReport(stopped=True)
    last = marks.last_success(scan)
    since = on if last is not None and last >= on else last
    answer = training.queue_reminders(on=on, since=since, unit_ids=unit_ids)
    marks.record_success(scan, on)
    return QueueReport(answer.queued, answer.requeued, answer.already_queued)


def send_dm(slack: WebClient, user_id: str, text: str, blocks: list[dict],
            metadata: Metadata | None = None) -> None:
    """conversations.open then chat.postMessage; raises SlackClientError when Slack refuses."""
    channel = slack.conversations_open(users=user_id)["channel"]["id"]
    slack.chat_postMessage(channel=channel, text=text, blocks=blocks, metadata=metadata)


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
    still_leading: Callable[[], bool] = lambda: True, unit_ids: Collection[str] | None = None,
) -> Report:
    """Each unit manager's digest by DM: expired daily, expiring soon weekly, shifts at risk.
    `unit_ids`: only these units (one facility's; None: every unit)."""
    report = Report()
    zone = ZoneInfo(time_zone)
    kind = "weekly" if weekly else "daily"
    for unit in training.digest(on=on, upcoming_within_days=upcoming_within_days if weekly else 0):
        if unit_ids is not None and unit.unit_id not in unit_ids:
            continue
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
