"""Transactional outbox: a service records what the bot must announce in the same transaction as
the change, and a relay thread in the service process publishes it to the Redis Stream.

Redis is not the system of record: while it is down the rows wait in the service's database
(`published_at` empty) and go out, in order, when it returns. A row is marked published only
after XADD answered, so a crash in between publishes it twice; the notifier keys every post on the
event id, so the second copy posts nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from clinops.metrics import OUTBOX_DEPTH

STREAM = "clinops:events"
DEAD_STREAM = "clinops:events:dead"
OUTBOX_TABLE = "outbox"

logger = logging.getLogger("clinops.outbox")


@dataclass(frozen=True)
class Event:
    """Something a service decided that Slack should hear about; `payload` is plain JSON."""

    kind: str
    service: str
    payload: Mapping[str, Any]
    occurred_at: datetime
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_fields(self) -> dict[str, str]:
        """The stream entry's fields."""
        return {"event_id": self.event_id, "kind": self.kind, "service": self.service,
                "payload": json.dumps(dict(self.payload), sort_keys=True),
                "occurred_at": self.occurred_at.astimezone(UTC).isoformat()}

    @classmethod
    def from_fields(cls, fields: Mapping[Any, Any]) -> Event:
        """Back from a stream entry (bytes or str keys and values)."""
        text = {_str(k): _str(v) for k, v in fields.items()}
        return cls(kind=text["kind"], service=text["service"],
                   payload=json.loads(text["payload"]),
                   occurred_at=datetime.fromisoformat(text["occurred_at"]),
                   event_id=text["event_id"])


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
    )


def record(target: Session | Connection, table: Table, event: Event) -> None:
    """Add `event` to the outbox inside the caller's transaction (it commits or rolls back too)."""
    fields = event.to_fields()
    target.execute(insert(table).values(
        event_id=fields["event_id"], kind=fields["kind"], service=fields["service"],
        payload=fields["payload"], occurred_at=fields["occurred_at"], published_at=None,
    ))


def pending_counts(engine: Engine, table: Table) -> dict[str, int]:
    """Rows waiting to be published, by the service that wrote them."""
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.service, func.count())
                                  .where(table.c.published_at.is_(None))
                                  .group_by(table.c.service)).all()
    return {service: count for service, count in rows}


def pending_events(engine: Engine, table: Table, *, limit: int = 1000) -> list[Event]:
    """Events not yet published, oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(select(table).where(table.c.published_at.is_(None))
                                  .order_by(table.c.seq).limit(limit)).mappings().all()
    return [Event.from_fields(row) for row in rows]


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

    redis_url: str = Field(default="", validation_alias="CLINOPS_REDIS_URL")
    poll_seconds: float = Field(default=0.5, validation_alias="CLINOPS_OUTBOX_POLL_SECONDS", gt=0)


class OutboxRelay:
    """Publishes a service's outbox, oldest first, marking each row once the stream has it."""

    def __init__(self, *, engine: Engine, table: Table, publisher: Publisher,
                 clock: Callable[[], datetime], poll_seconds: float = 0.5,
                 batch: int = 100) -> None:
        self.engine, self.table, self.publisher, self.clock = engine, table, publisher, clock
        self.poll_seconds, self.batch = poll_seconds, batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self._depth_services: set[str] = set()

    def record_depth(self) -> dict[str, int]:
        """Set clinops_outbox_depth{service} to the rows still waiting (0 once drained)."""
        counts = pending_counts(self.engine, self.table)
        self._depth_services |= counts.keys()
        for service in self._depth_services:
            OUTBOX_DEPTH.labels(service).set(counts.get(service, 0))
        return counts

    def publish_pending(self) -> int:
        """One pass: publish what waits, stopping at the first failure; how many went out.

        Either way the pass ends by setting the outbox depth gauge to what still waits.
        """
        published = 0
        for event in pending_events(self.engine, self.table, limit=self.batch):
            try:
                self.publisher.publish(event)
            except (redis.RedisError, OSError) as error:
                if not self._failing:
                    logger.warning("outbox: stream unavailable (%s); events kept until it returns",
                                   type(error).__name__)
                self._failing = True
                self.record_depth()
                return published
            with self.engine.begin() as connection:
                connection.execute(update(self.table)
                                   .where(self.table.c.event_id == event.event_id)
                                   .values(published_at=self.clock().astimezone(UTC).isoformat()))
            published += 1
        if self._failing and published:
            logger.info("outbox: stream reachable again")
            self._failing = False
        self.record_depth()
        return published

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
                       poll_seconds=settings.poll_seconds).start()
