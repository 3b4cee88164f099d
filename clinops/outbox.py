"""Transactional outbox: a service records what the bot must announce in the same transaction as
the change, and a relay thread in the service process publishes it to the Redis Stream.

Redis is not the system of record: while it is down the rows wait in the service's database
(`published_at` empty) and go out, in order, when it returns. Publishing is not delivery: Redis
may lose the stream after XADD (restarted empty, a failover to a replica that had not heard). An
event is delivered only when the notifier records its post in the owning service
(RecordEventDelivery: `delivered_at`, channel and ts on the row); until then the relay publishes it
again each time its lease runs out (`republish_after`, doubling per publication up to a cap, so a
notifier that is down for hours does not flood the stream). A row published twice is posted once:
the notifier looks the event id up in its Redis records, then in the owning service's record.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import redis
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from clinops.metrics import OUTBOX_DEPTH

STREAM = "clinops:events"
DEAD_STREAM = "clinops:events:dead"
OUTBOX_TABLE = "outbox"
# How long a published event may stay unrecorded before the relay publishes it again: well past a
# post and its recording (seconds), short enough that a Redis that lost the stream costs a ward
# minutes, not the event.
DEFAULT_LEASE_SECONDS = 120.0
# A lease doubles with each publication up to this many times the first (2 min → 64 min).
MAX_LEASE_DOUBLINGS = 5

logger = logging.getLogger("clinops.outbox")


@dataclass(frozen=True)
class Event:
    """Something a service decided that Slack should hear about; `payload` is plain JSON."""

    kind: str
    service: str
    payload: Mapping[str, Any]
    occurred_at: datetime
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Published before and never recorded delivered: its post may exist already (the notifier
    # died after Slack took it, before the service heard), so the notifier looks first.
    republished: bool = False

    def to_fields(self) -> dict[str, str]:
        """The stream entry's fields."""
        fields = {"event_id": self.event_id, "kind": self.kind, "service": self.service,
                  "payload": json.dumps(dict(self.payload), sort_keys=True),
                  "occurred_at": self.occurred_at.astimezone(UTC).isoformat()}
        if self.republished:
            fields["republished"] = "1"
        return fields

    @classmethod
    def from_fields(cls, fields: Mapping[Any, Any]) -> Event:
        """Back from a stream entry (bytes or str keys and values)."""
        text = {_str(k): _str(v) for k, v in fields.items()}
        return cls(kind=text["kind"], service=text["service"],
                   payload=json.loads(text["payload"]),
                   occurred_at=datetime.fromisoformat(text["occurred_at"]),
                   event_id=text["event_id"], republished=text.get("republished") == "1")


def _str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def outbox_table(metadata: MetaData) -> Table:
    """The outbox of one service's database (created by that service's own migration)."""
    return Table(
        OUTBOX_TABLE, metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("kind", String(64), nullable=False),
        Column("service", String(16), nullable=False),
        Column("payload", Text, nullable=False),
        Column("occurred_at", String(40), nullable=False),
        Column("published_at", String(40), nullable=True),
        # Delivery (the service's record of the post; see the module docstring).
        Column("publications", Integer, nullable=False, server_default="0"),
        Column("republish_after", String(40), nullable=True),
        Column("delivered_at", String(40), nullable=True),
        Column("slack_channel_id", String(64), nullable=False, server_default=""),
        Column("slack_message_ts", String(32), nullable=False, server_default=""),
    )


def supersede(target: Session | Connection, table: Table, event_id: str, *,
              at: datetime) -> None:
    """In the caller's transaction: `event_id` is replaced by a newer event of the same thing
    (a reminder queued again), so the relay stops publishing it; if its post exists, the newer
    event finds it."""
    target.execute(update(table).where(table.c.event_id == event_id,
                                       table.c.delivered_at.is_(None))
                   .values(delivered_at=_instant(at)))


def _instant(at: datetime) -> str:
    # Fixed width (microseconds always written), so instants compare as strings in SQL.
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def record(target: Session | Connection, table: Table, event: Event) -> None:
    """Add `event` to the outbox inside the caller's transaction (it commits or rolls back too)."""
    fields = event.to_fields()
    target.execute(insert(table).values(
        event_id=fields["event_id"], kind=fields["kind"], service=fields["service"],
        payload=fields["payload"], occurred_at=fields["occurred_at"], published_at=None,
    ))


def _due(table: Table, now: datetime) -> Any:
    """Never published, or published, never recorded delivered and past its lease."""
    return or_(table.c.published_at.is_(None),
               table.c.delivered_at.is_(None) & (table.c.republish_after <= _instant(now)))


def pending_counts(engine: Engine, table: Table, *, now: datetime | None = None,
               ) -> dict[str, int]:
    """Rows waiting to be published (again, past their lease, when `now` is given), by the
    service that wrote them."""
    waiting = table.c.published_at.is_(None) if now is None else _due(table, now)
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.service, func.count())
                                  .where(waiting).group_by(table.c.service)).all()
    return {service: count for service, count in rows}


def pending_events(engine: Engine, table: Table, *, limit: int = 1000,
                   now: datetime | None = None) -> list[Event]:
    """Events not yet published, oldest first; with `now`, also those published whose lease ran
    out before they were recorded delivered (marked `republished`)."""
    waiting = table.c.published_at.is_(None) if now is None else _due(table, now)
    with engine.connect() as connection:
        rows = connection.execute(select(table).where(waiting)
                                  .order_by(table.c.seq).limit(limit)).mappings().all()
    return [Event.from_fields({**row, "republished": "1" if row["publications"] else ""})
            for row in rows]


@dataclass(frozen=True)
class Delivery:
    """The owning service's record of an event's post: `delivered_at` empty until recorded."""

    event_id: str
    delivered_at: str | None
    slack_channel_id: str = ""
    slack_message_ts: str = ""

    @property
    def delivered(self) -> bool:
        return self.delivered_at is not None


# What each field may hold: an event id is a uuid (hex, or with dashes); a Slack channel id (or
# the notifier's `dm:<user>` when a DM's channel was not looked up); a Slack ts, digits and a dot.
_DELIVERY_FIELDS = {
    "event_id": (re.compile(r"[0-9A-Za-z-]{1,36}"), "a uuid of at most 36 letters, digits or -"),
    "slack_channel_id": (re.compile(r"[0-9A-Za-z:_-]{0,64}"),
                         "a Slack channel id of at most 64 letters, digits, :, _ or -"),
    "slack_message_ts": (re.compile(r"[0-9.]{0,32}"), "a Slack ts of at most 32 digits and dots"),
}


def delivery_violations(*, event_id: str, slack_channel_id: str = "",
                        slack_message_ts: str = "") -> dict[str, str]:
    """What is wrong with a delivery record's fields, by field name (empty when nothing)."""
    values = {"event_id": event_id, "slack_channel_id": slack_channel_id,
              "slack_message_ts": slack_message_ts}
    problems = {name: f"must be {what}" for name, (pattern, what) in _DELIVERY_FIELDS.items()
                if not pattern.fullmatch(values[name])}
    if not problems and bool(slack_channel_id) != bool(slack_message_ts):
        problems["slack_message_ts" if slack_channel_id else "slack_channel_id"] = (
            "give both the channel and the ts of the post, or neither")
    return problems


def find_delivery(engine: Engine, table: Table, event_id: str) -> Delivery | None:
    """The delivery record of `event_id`; None when this outbox never held it."""
    with engine.connect() as connection:
        row = connection.execute(
            select(table.c.event_id, table.c.delivered_at, table.c.slack_channel_id,
                   table.c.slack_message_ts).where(table.c.event_id == event_id)).first()
    return Delivery(*row) if row else None


def record_delivery(engine: Engine, table: Table, *, event_id: str, slack_channel_id: str,
                    slack_message_ts: str, at: datetime) -> Delivery | None:
    """Record where `event_id`'s post is (the first record stands: a second copy of the event
    posts nothing, so a repeat can only name the same post); the record as it now stands, or
    None when this outbox never held the event."""
    with engine.begin() as connection:
        connection.execute(update(table).where(table.c.event_id == event_id,
                                               table.c.delivered_at.is_(None))
                           .values(delivered_at=_instant(at), slack_channel_id=slack_channel_id,
                                   slack_message_ts=slack_message_ts))
    return find_delivery(engine, table, event_id)


class Publisher(Protocol):
    def publish(self, event: Event) -> None:
        """Append `event` to the stream; raise if it may not have been appended."""
        ...


class RedisPublisher:
    """XADD to the stream; short socket timeouts so an outage only delays the relay."""

    def __init__(self, client: redis.Redis, *, stream: str = STREAM) -> None:
        self.client, self.stream = client, stream

    @classmethod
    def from_url(cls, url: str, *, stream: str = STREAM) -> RedisPublisher:
        return cls(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2),
                   stream=stream)

    def publish(self, event: Event) -> None:
        self.client.xadd(self.stream, event.to_fields())  # type: ignore[arg-type]

    def close(self) -> None:
        self.client.close()


class InProcessStream:
    """The demo console's stream (no Redis): the relay appends, the bot's notifier drains."""

    def __init__(self) -> None:
        self._entries: deque[tuple[str, Event]] = deque()
        self._lock = threading.Lock()
        self._sequence = 0

    def publish(self, event: Event) -> None:
        with self._lock:
            self._sequence += 1
            self._entries.append((f"{self._sequence}-0", event))

    def take(self, count: int) -> list[tuple[str, Event]]:
        with self._lock:
            return [self._entries.popleft() for _ in range(min(count, len(self._entries)))]


class RelaySettings(BaseSettings):
    """Where a service's relay publishes: CLINOPS_REDIS_URL, the same Redis as the bot's."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    redis_url: str = Field(default="", validation_alias="CLINOPS_REDIS_URL",
                           description="Redis the relay publishes events to (unset: they wait "
                                       "in the outbox)")
    poll_seconds: float = Field(default=0.5, validation_alias="CLINOPS_OUTBOX_POLL_SECONDS", gt=0,
                                description="How often the relay looks for events to publish")
    lease_seconds: float = Field(
        default=DEFAULT_LEASE_SECONDS, validation_alias="CLINOPS_OUTBOX_LEASE_SECONDS", gt=0,
        description="How long a published event may wait for the notifier to record its post "
                    "before it is published again (doubling each time, up to 32x)")


class OutboxRelay:
    """Publishes a service's outbox, oldest first, marking each row once the stream has it, and
    publishes again what stays unrecorded past its lease."""

    def __init__(self, *, engine: Engine, table: Table, publisher: Publisher,
                 clock: Callable[[], datetime], poll_seconds: float = 0.5,
                 batch: int = 100, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.engine, self.table, self.publisher, self.clock = engine, table, publisher, clock
        self.poll_seconds, self.batch = poll_seconds, batch
        self.lease = timedelta(seconds=lease_seconds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self._depth_services: set[str] = set()

    def record_depth(self) -> dict[str, int]:
        """Set clinops_outbox_depth{service} to the rows still waiting, or waiting again past
        their lease (0 once drained)."""
        counts = pending_counts(self.engine, self.table, now=self.clock())
        self._depth_services |= counts.keys()
        for service in self._depth_services:
            OUTBOX_DEPTH.labels(service).set(counts.get(service, 0))
        return counts

    def publish_pending(self) -> int:
        """One pass: publish what waits, stopping at the first failure; how many went out.

        Either way the pass ends by setting the outbox depth gauge to what still waits.
        """
        published = 0
        for event in pending_events(self.engine, self.table, limit=self.batch, now=self.clock()):
            try:
                self.publisher.publish(event)
            except (redis.RedisError, OSError) as error:
                if not self._failing:
                    logger.warning("outbox: stream unavailable (%s); events kept until it returns",
                                   type(error).__name__)
                self._failing = True
                self.record_depth()
                return published
            self._mark_published(event)
            published += 1
        if self._failing and published:
            logger.info("outbox: stream reachable again")
            self._failing = False
        self.record_depth()
        return published

    def _mark_published(self, event: Event) -> None:
        table = self.table
        with self.engine.begin() as connection:
            publications = connection.execute(
                select(table.c.publications).where(table.c.event_id == event.event_id)
            ).scalar_one()
            now = self.clock()
            lease = self.lease * 2 ** min(publications, MAX_LEASE_DOUBLINGS)
            connection.execute(update(table).where(table.c.event_id == event.event_id).values(
                published_at=_instant(now), publications=publications + 1,
                republish_after=_instant(now + lease)))
        if event.republished:
            logger.info("outbox: event %s (%s) published again: not recorded delivered within "
                        "its lease", event.event_id, event.kind)

    def start(self) -> OutboxRelay:
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                while self.publish_pending() == self.batch and not self._stop.is_set():
                    pass
            except Exception:  # noqa: BLE001 - a database blip must not end the relay thread
                logger.exception("outbox: relay pass failed; retrying")
            self._stop.wait(self.poll_seconds)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def relay_from_environment(engine: Engine, table: Table, *,
                           clock: Callable[[], datetime]) -> OutboxRelay | None:
    """A service's relay to Redis at CLINOPS_REDIS_URL, started; None when no Redis is
    configured (the events wait in the outbox)."""
    settings = RelaySettings()
    if not settings.redis_url:
        return None
    return OutboxRelay(engine=engine, table=table,
                       publisher=RedisPublisher.from_url(settings.redis_url), clock=clock,
                       poll_seconds=settings.poll_seconds,
                       lease_seconds=settings.lease_seconds).start()
