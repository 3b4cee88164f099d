"""The daily certification scan and the managers' digest: ask the services, post to Slack.

What is due, expired or expiring is decided by training; these functions only deliver, each
reminder claimed before its DM and marked sent (or released for a retry) after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import grpc
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.models.metadata import Metadata

from bot.scheduler.links import ExpiringCertification, StaffingLink, TrainingLink
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
# Every reminder DM carries this message metadata, so a scheduler taking over a claim whose
# sender died can find out whether Slack already took that DM.
REMINDER_EVENT = "clinops_reminder"
# conversations.history when looking for that DM: the look-back starts this long before the
# stale claim (clocks of training and Slack differ a little); a person's DMs from the bot in
# that window are few, so a few small pages do.
CLOCK_SKEW = timedelta(minutes=2)
HISTORY_PAGE = 20
HISTORY_PAGES = 5


@dataclass
class Report:
    """What one run did; a run with failures leaves its day to be retried."""

    sent: int = 0
    skipped: int = 0
    in_flight: int = 0
    failed: int = 0
    stopped: bool = False


def reminder_key(item: ExpiringCertification) -> str:
    """The reminder's identity, as training keys it: staff, certification, expiry, threshold."""
    record, expires = item.record, item.record.expires_on
    return (f"{record.staff_id}/{record.certification_code}/"
            f"{expires.year:04d}-{expires.month:02d}-{expires.day:02d}/{item.threshold_days}")


def reminder_metadata(item: ExpiringCertification) -> Metadata:
    return Metadata(event_type=REMINDER_EVENT, event_payload={"reminder": reminder_key(item)})


def send_dm(slack: WebClient, user_id: str, text: str, blocks: list[dict],
            metadata: Metadata | None = None) -> None:
    """conversations.open then chat.postMessage; raises SlackClientError when Slack refuses."""
    channel = slack.conversations_open(users=user_id)["channel"]["id"]
    slack.chat_postMessage(channel=channel, text=text, blocks=blocks, metadata=metadata)


def _is_reminder(message: dict[str, Any], key: str) -> bool:
    metadata = message.get("metadata") or {}
    return (metadata.get("event_type") == REMINDER_EVENT
            and (metadata.get("event_payload") or {}).get("reminder") == key)


def dm_already_delivered(slack: WebClient, user_id: str, key: str, *, since: datetime) -> bool:
    """Whether the person's DM holds the reminder `key`, posted since `since` (less the skew).

    Raises SlackClientError when Slack does not answer: then nobody knows, so nothing is sent.
    """
    channel = slack.conversations_open(users=user_id)["channel"]["id"]
    oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
    pages = slack.conversations_history(channel=channel, oldest=oldest, limit=HISTORY_PAGE,
                                        include_all_metadata=True)
    for number, page in enumerate(pages, start=1):
        if any(_is_reminder(message, key) for message in page.get("messages", [])):
            return True
        if number >= HISTORY_PAGES:
            log.warning("reminder %s not found in %d pages of DM history; sending it",
                        key, number)
            break
    return False


def send_certification_reminders(
    *, on: date, training: TrainingLink, slack: WebClient, marks: Marks,
    still_leading: Callable[[], bool] = lambda: True,
    unit_ids: Collection[str] | None = None, scan: str = REMINDER_SCAN,
) -> Report:
    """DM everyone crossing a reminder threshold since the last complete scan, each once.

    `unit_ids`: only people of these units (one facility's; None: everyone) and those with no
    home unit (educators, float pool): each facility's scan offers them, the first morning to
    come sends, and the claim keeps it to once. `scan` names the mark of the last complete scan
    (one per facility: each has its own "today").
    """
    report = Report()
    since = marks.last_success(scan)
    if since is not None and since >= on:
        return report  # today's scan is complete already
    for item in training.list_expiring(on=on, since=since):
        if unit_ids is not None and item.unit_id and item.unit_id not in unit_ids:
            continue
        if not still_leading():
            report.stopped = True
            break
        claim = training.claim(item)
        if claim is None:
            # Another sender holds it unsettled: this day is not complete until it settles, so
            # should that sender die, a later scan takes the claim over instead of dropping it.
            report.in_flight += 1
            continue
        claim_id = claim.claim_id
        if claim.stale_since is not None:
            # Rare: the claim's sender died mid-delivery, maybe after Slack took the DM.
            try:
                delivered = dm_already_delivered(slack, item.slack_user_id, reminder_key(item),
                                                 since=claim.stale_since)
            except SlackClientError as error:
                # Not released: a fresh claim would send without looking. The claim lapses and
                # a later scan takes it over and looks again.
                log.warning("could not look for an earlier reminder DM to staff %s (%s); "
                            "left for a later scan", item.record.staff_id, type(error).__name__)
                report.failed += 1
                continue
            if delivered:
                training.settle(item, claim_id, sent=True)
                report.skipped += 1
                log.info("reminder %s was delivered by a scheduler that died before marking "
                         "it; marked sent", reminder_key(item))
                continue
        text = reminder_text(item, on=on)
        try:
            send_dm(slack, item.slack_user_id, text, reminder_blocks(text),
                    reminder_metadata(item))
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
    if not (report.failed or report.stopped or report.in_flight):
        marks.record_success(scan, on)
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
