"""Staffing's outbox: the events the bot announces, written in the transaction of the change.

Kinds: `open_shift.awarded` (payload: the shift's channel and post ts, slots, slots filled and
the nurse awarded). The relay runs inside the staffing process when CLINOPS_REDIS_URL is set.
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
from services.staffing.model import OpenShift

SERVICE = "staffing"
OUTBOX = outbox_table(MetaData())


def open_shift_awarded(shift: OpenShift, *, staff_id: str, display_name: str,
                       slack_user_id: str, slots_filled: int, at: datetime) -> Event:
    """A slot of `shift` went to a nurse: the thread under the shift's post says so."""
    return Event(kind="open_shift.awarded", service=SERVICE, occurred_at=at, payload={
        "open_shift_id": shift.open_shift_id, "unit_id": shift.unit_id,
        "slack_channel_id": shift.slack_channel_id, "slack_message_ts": shift.slack_message_ts,
        "slots": shift.slots, "slots_filled": slots_filled, "staff_id": staff_id,
        "display_name": display_name, "slack_user_id": slack_user_id,
    })


def relay(engine: Engine, *, publisher: Publisher, clock: Clock,
          poll_seconds: float = 0.5) -> OutboxRelay:
    """A relay for staffing's outbox (not started)."""
    return OutboxRelay(engine=engine, table=OUTBOX, publisher=publisher, clock=clock,
                       poll_seconds=poll_seconds)


def relay_from_environment(engine: Engine, *, clock: Clock) -> OutboxRelay | None:
    """The relay to Redis at CLINOPS_REDIS_URL, started; None when no Redis is configured."""
    settings = RelaySettings()
    if not settings.redis_url:
        return None
    return relay(engine, publisher=RedisPublisher.from_url(settings.redis_url), clock=clock,
                 poll_seconds=settings.poll_seconds).start()
