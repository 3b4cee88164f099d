"""Staffing's outbox: the events the bot announces, written in the transaction of the change.

Kinds: `open_shift.posted` (written with ReportGap: what the post in the unit channel shows, and
the reporter, for whom the bot records the post's ts back through SetOpenShiftMessage),
`open_shift.awarded` (the shift's channel and post ts, slots, slots filled and the nurse awarded)
and `open_shift.cancelled` (the line in the thread). An award or cancel written before the
shift's post was recorded names the posted event (`thread_of`): the bot answers in the thread of
the post it made for that event. The relay runs inside the staffing process when
CLINOPS_REDIS_URL is set.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine, MetaData

from clinops.clock import Clock
from clinops.outbox import (
    Event,
    OutboxRelay,
    Publisher,
    outbox_table,
)
from services.staffing.model import OpenShift

SERVICE = "staffing"
OUTBOX = outbox_table(MetaData())
_POSTED = uuid.UUID("5b0c7d1e-6f4a-4c39-9e57-0c1a2f3b4d5e")


def posted_event_id(open_shift_id: str) -> str:
    """The id of a shift's `open_shift.posted` event, known from the shift alone."""
    return uuid.uuid5(_POSTED, open_shift_id).hex


def open_shift_posted(shift: OpenShift, *, reported_by_team: str, reported_by_user: str,
                      at: datetime) -> Event:
    """A reported open shift, to be posted in its unit's channel with the Claim button."""
    return Event(kind="open_shift.posted", service=SERVICE, occurred_at=at,
                 event_id=posted_event_id(shift.open_shift_id), payload={
                     "open_shift_id": shift.open_shift_id, "unit_id": shift.unit_id,
                     "date": shift.date.isoformat(), "shift": shift.shift.value,
                     "role": shift.role.value, "slots": shift.slots, "reason": shift.reason,
                     "slack_channel_id": shift.slack_channel_id,
                     "reported_by": {"slack_team_id": reported_by_team,
                                     "slack_user_id": reported_by_user},
                 })


def _thread(shift: OpenShift) -> dict[str, str]:
    return {"slack_channel_id": shift.slack_channel_id,
            "slack_message_ts": shift.slack_message_ts,
            "thread_of": posted_event_id(shift.open_shift_id)}


def open_shift_awarded(shift: OpenShift, *, staff_id: str, display_name: str,
                       slack_user_id: str, slots_filled: int, at: datetime) -> Event:
    """A slot of `shift` went to a nurse: the thread under the shift's post says so."""
    return Event(kind="open_shift.awarded", service=SERVICE, occurred_at=at, payload={
        "open_shift_id": shift.open_shift_id, "unit_id": shift.unit_id, **_thread(shift),
        "slots": shift.slots, "slots_filled": slots_filled, "staff_id": staff_id,
        "display_name": display_name, "slack_user_id": slack_user_id,
    })


def open_shift_cancelled(shift: OpenShift, *, at: datetime) -> Event:
    """The charge nurse cancelled `shift` (as it is after the cancel): a line in its thread."""
    return Event(kind="open_shift.cancelled", service=SERVICE, occurred_at=at, payload={
        "open_shift_id": shift.open_shift_id, "unit_id": shift.unit_id, **_thread(shift),
        "cancelled_by_display_name": shift.cancelled_by,
        "cancelled_by_slack_user_id": shift.cancelled_by_slack_user_id,
        "cancelled_at": at.astimezone(UTC).isoformat(),
        "awarded_display_names": [name for _, name in shift.awarded],
    })


def relay(engine: Engine, *, publisher: Publisher, clock: Clock,
          poll_seconds: float = 0.5) -> OutboxRelay:
    """A relay for staffing's outbox (not started)."""
    return OutboxRelay(engine=engine, table=OUTBOX, publisher=publisher, clock=clock,
                       poll_seconds=poll_seconds)
