"""Training's outbox: the renewals the bot announces, written in the transaction of the change.

Kind `renewal.submitted`, one per reviewer, written with the submission: the reviewer's DM with
Verify and Reject — who renewed what, the new expiry, and the reviewer's Slack id to send it to.
Kind `renewal.decided` (verified or rejected): the payload holds what the submitter's DM says —
the certification, the new expiry or the reason, who decided — and the submitter's Slack id to
send it to. The relay runs in the training process when CLINOPS_REDIS_URL is set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, MetaData

from clinops.clock import Clock
from clinops.outbox import (
    Event,
    OutboxRelay,
    Publisher,
    RedisPublisher,
    RelaySettings,
    outbox_table,
)
from services.training.model import Renewal

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


def relay(engine: Engine, *, publisher: Publisher, clock: Clock,
          poll_seconds: float = 0.5) -> OutboxRelay:
    """A relay for training's outbox (not started)."""
    return OutboxRelay(engine=engine, table=OUTBOX, publisher=publisher, clock=clock,
                       poll_seconds=poll_seconds)


def relay_from_environment(engine: Engine, *, clock: Clock) -> OutboxRelay | None:
    """The relay to Redis at CLINOPS_REDIS_URL, started; None when no Redis is configured."""
    settings = RelaySettings()
    if not settings.redis_url:
        return None
    return relay(engine, publisher=RedisPublisher.from_url(settings.redis_url), clock=clock,
                 poll_seconds=settings.poll_seconds).start()
