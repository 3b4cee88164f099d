"""Training's outbox: the renewals the bot announces, written in the transaction of the change.

Kind `renewal.submitted`, one per reviewer, written with the submission: the reviewer's DM with
Verify and Reject — who renewed what, the new expiry, and the reviewer's Slack id to send it to.
Kind `renewal.decided` (verified or rejected): the payload holds what the submitter's DM says —
the certification, the new expiry or the reason, who decided — and the submitter's Slack id to
send it to. Kind `reminder.due`, written by the daily scan (QueueReminders) with the reminder's
queued mark: what the nurse's reminder DM says (certification, expiry, days left) and whom to send
it to; its event id comes from the reminder's key, so the same reminder queued twice would be one
event. The relay runs in the training process when CLINOPS_REDIS_URL is set.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Engine, MetaData

from clinops.clock import Clock
from clinops.outbox import (
    Event,
    OutboxRelay,
    Publisher,
    outbox_table,
)
from services.training.model import CertificationType, Renewal, StaffMember

SERVICE = "training"
OUTBOX = outbox_table(MetaData())


def renewal_submitted(renewal: Renewal, *, submitter_name: str, reviewer_staff_id: str,
                      reviewer_slack_user_id: str, at: datetime) -> Event:
    """A renewal waits for a decision: one of its reviewers gets it by DM, with the buttons."""
    return Event(kind="renewal.submitted", service=SERVICE, occurred_at=at, payload={
        "renewal_id": renewal.renewal_id, "staff_id": renewal.staff_id,
        "submitter_display_name": submitter_name,
        "certification_code": renewal.certification_code,
        "expires_on": renewal.expires_on.isoformat(),
        "reviewer_staff_id": reviewer_staff_id,
        "reviewer_slack_user_id": reviewer_slack_user_id,
    })


def renewal_decided(renewal: Renewal, *, submitter_slack_user_id: str, decided_by_name: str,
                    at: datetime) -> Event:
    """A renewal was verified or rejected: the nurse who submitted it is told by DM."""
    return Event(kind="renewal.decided", service=SERVICE, occurred_at=at, payload={
        "renewal_id": renewal.renewal_id, "staff_id": renewal.staff_id,
        "certification_code": renewal.certification_code, "state": renewal.state.value,
        "expires_on": renewal.expires_on.isoformat(),
        "rejection_reason": renewal.rejection_reason,
        "submitter_slack_user_id": submitter_slack_user_id,
        "decided_by": {"staff_id": renewal.decided_by or "", "display_name": decided_by_name},
    })


# uuid5 namespace of reminder event ids (any fixed uuid does; this one is ClinOps' own).
REMINDER_EVENTS = uuid.UUID("6f1c0a52-5d8e-4f0b-9a57-3c1f2b7e9d41")


def reminder_event_id(reminder_key: str, *, previous: str = "") -> str:
    """The first event of a reminder is named by its key; one queued again, by the event before
    it (so each generation has its own id, and the same one however often it is computed)."""
    name = f"{previous}:again" if previous else f"reminder.due:{reminder_key}"
    return uuid.uuid5(REMINDER_EVENTS, name).hex


def reminder_due(*, event_id: str, reminder_key: str, staff: StaffMember,
                 certification: CertificationType, expires_on: date, threshold_days: int,
                 on: date, at: datetime, first_queued_at: datetime | None = None) -> Event:
    """A reminder to DM: the person's certification, its expiry and days left on `on`. Queued
    again (`first_queued_at`): the DM may have gone out before, so the notifier looks first."""
    return Event(kind="reminder.due", service=SERVICE, occurred_at=at, event_id=event_id,
                 payload={
                     "reminder": reminder_key, "staff_id": staff.staff_id,
                     "display_name": staff.display_name, "slack_team_id": staff.slack_team_id,
                     "slack_user_id": staff.slack_user_id,
                     "certification_code": certification.code,
                     "certification_name": certification.name,
                     "expires_on": expires_on.isoformat(), "on": on.isoformat(),
                     "days_left": (expires_on - on).days, "threshold_days": threshold_days,
                     "first_queued_at": first_queued_at.isoformat() if first_queued_at else "",
                 })


def relay(engine: Engine, *, publisher: Publisher, clock: Clock,
          poll_seconds: float = 0.5) -> OutboxRelay:
    """A relay for training's outbox (not started)."""
    return OutboxRelay(engine=engine, table=OUTBOX, publisher=publisher, clock=clock,
                       poll_seconds=poll_seconds)
