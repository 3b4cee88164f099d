"""RecordEventDelivery and GetEventDelivery, the same in every service: the notifier tells the
owning service where an event's post is (or that it had nothing to post), and asks before posting.

Each servicer answers both from its own outbox (clinops.outbox); these functions do the proto
translation once for all three.
"""

from __future__ import annotations

from typing import Any

import grpc
from sqlalchemy import Engine, Table

from clinops import outbox, rpc
from clinops.clock import Clock
from clinops.common.v1 import common_pb2


def _message(found: outbox.Delivery) -> common_pb2.EventDelivery:
    return common_pb2.EventDelivery(event_id=found.event_id, delivered=found.delivered,
                                    slack_channel_id=found.slack_channel_id,
                                    slack_message_ts=found.slack_message_ts)


def record_event_delivery(request: Any, context: grpc.ServicerContext, *, engine: Engine,
                          table: Table, clock: Clock) -> common_pb2.EventDelivery:
    """The delivery recorded (the first record stands); INVALID_ARGUMENT naming the field, or
    NOT_FOUND for an event this service never wrote."""
    problems = outbox.delivery_violations(event_id=request.event_id,
                                          slack_channel_id=request.slack_channel_id,
                                          slack_message_ts=request.slack_message_ts)
    if problems:
        rpc.abort_invalid_argument(context, problems)
    found = outbox.record_delivery(engine, table, event_id=request.event_id,
                                   slack_channel_id=request.slack_channel_id,
                                   slack_message_ts=request.slack_message_ts, at=clock())
    if found is None:
        context.abort(grpc.StatusCode.NOT_FOUND, f"no event {request.event_id} in this outbox")
    return _message(found)


def get_event_delivery(request: Any, context: grpc.ServicerContext, *, engine: Engine,
                       table: Table) -> common_pb2.EventDelivery:
    """The delivery of an event as recorded; not delivered for one this service never wrote."""
    problems = outbox.delivery_violations(event_id=request.event_id)
    if problems:
        rpc.abort_invalid_argument(context, problems)
    found = outbox.find_delivery(engine, table, request.event_id)
    if found is None:
        return common_pb2.EventDelivery(event_id=request.event_id)
    return _message(found)
