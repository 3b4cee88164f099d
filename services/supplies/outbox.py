"""Supplies' outbox: what the bot announces, written in the transaction of the change.

Kind `proposal.created`, written when a count, an import or the scan opens a unit's proposal:
the bot posts the proposal (as it stands when posted, read back with GetProposal) with its
buttons to the unit's channel and records the post's ts through SetProposalMessage.

Kind `proposal.decided` (approved, rejected, escalated or quantities edited): the payload holds
what the line in the proposal's thread says — the proposal's reference, channel and post ts, the
new state, who decided and when, the total, the purchase order or the reason (with how long a
rejection holds), who is asked next, and for an edit the edited lines. The relay runs in the
supplies process when CLINOPS_REDIS_URL is set.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Engine, MetaData

from clinops.clock import Clock
from clinops.outbox import (
    Event,
    OutboxRelay,
    Publisher,
    outbox_table,
)
from services.supplies.model import Actor, Approver

SERVICE = "supplies"
OUTBOX = outbox_table(MetaData())
_CREATED = uuid.UUID("9d3f1c52-2b7e-4a61-8f0d-6e4b2a1c7d93")


def _person(slack_user_id: str, staff_id: str, display_name: str) -> dict[str, str]:
    return {"slack_user_id": slack_user_id, "staff_id": staff_id, "display_name": display_name}


def created_event_id(reference: str) -> str:
    """The id of a proposal's `proposal.created` event, known from its reference alone: a
    decision written before the post was recorded answers in the thread of the post made for
    it (`thread_of`)."""
    return uuid.uuid5(_CREATED, reference).hex


def proposal_created(*, reference: str, unit_id: str, slack_channel_id: str,
                     at: datetime) -> Event:
    """A unit's new reorder proposal, to be posted in its channel with its buttons."""
    return Event(kind="proposal.created", service=SERVICE, occurred_at=at,
                 event_id=created_event_id(reference), payload={
        "proposal_id": reference, "unit_id": unit_id, "slack_channel_id": slack_channel_id,
    })


def proposal_decided(*, reference: str, unit_id: str, decision: str, state: str, actor: Actor,
                     at: datetime, total_cents: int, slack_channel_id: str,
                     slack_message_ts: str, purchase_order_id: str = "", reason: str = "",
                     escalated_to: Approver | None = None,
                     edited: Mapping[str, int] | None = None,
                     held_until: datetime | None = None) -> Event:
    """A decision on a proposal: its thread in the unit channel says who decided what."""
    return Event(kind="proposal.decided", service=SERVICE, occurred_at=at, payload={
        "proposal_id": reference, "unit_id": unit_id, "decision": decision, "state": state,
        "slack_channel_id": slack_channel_id, "slack_message_ts": slack_message_ts,
        "thread_of": created_event_id(reference),
        "decided_by": _person(actor.slack_user_id, actor.staff_id, actor.display_name),
        "decided_at": at.astimezone(UTC).isoformat(), "total_cents": total_cents,
        "purchase_order_id": purchase_order_id, "rejection_reason": reason,
        "escalated_to": _person(escalated_to.slack_user_id, escalated_to.staff_id,
                                escalated_to.display_name) if escalated_to else None,
        "edited": [{"sku": sku, "quantity": quantity}
                   for sku, quantity in sorted((edited or {}).items())],
        # A rejection: not proposed again before this unless a count or receipt moves stock.
        "held_until": held_until.astimezone(UTC).isoformat() if held_until else "",
    })


def relay(engine: Engine, *, publisher: Publisher, clock: Clock,
          poll_seconds: float = 0.5) -> OutboxRelay:
    """A relay for supplies' outbox (not started)."""
    return OutboxRelay(engine=engine, table=OUTBOX, publisher=publisher, clock=clock,
                       poll_seconds=poll_seconds)
