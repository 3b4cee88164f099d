"""The first answer to each idempotency key, kept in a service's own database for a week.

Each service that memoises responses creates the `idempotent_responses` table in a migration of
its own; this module only reads and writes it (see `clinops.rpc.IdempotencyInterceptor`), and
`Retention` forgets answers older than `KEEP` so the table does not grow for ever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Self

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

log = logging.getLogger(__name__)
TABLE_NAME = "idempotent_responses"
# A repeat comes within minutes (Slack's retries, a gRPC retry, an operator rerunning an import
# after a timeout); a week answers every such repeat and keeps the table small.
KEEP = timedelta(days=7)

_metadata = MetaData()
responses = Table(
    TABLE_NAME,
    _metadata,
    Column("key_digest", String(64), primary_key=True),
    Column("response", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class SqlResponseMemo:
    """`clinops.rpc.ResponseMemo` over SQL: the primary key decides which answer was first."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def recall(self, key: str) -> bytes | None:
        with self.engine.connect() as connection:
            return connection.execute(
                select(responses.c.response).where(responses.c.key_digest == key)
            ).scalar_one_or_none()

    def remember(self, key: str, response: bytes) -> bytes:
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(responses).values(
                    key_digest=key, response=response, created_at=datetime.now(UTC)))
        except IntegrityError:
            # A concurrent call with the same key kept its answer first: that one stands.
            first = self.recall(key)
            if first is not None:
                return first
            raise
        return response

    def forget_older_than(self, cutoff: datetime) -> int:
        """Drop the answers remembered before `cutoff`; how many went."""
        with self.engine.begin() as connection:
            return connection.execute(
                delete(responses).where(responses.c.created_at < cutoff)).rowcount


class Retention:
    """A daemon thread of a service process: at start and then every `every`, forget the answers
    older than `keep`. A key repeated after that is answered afresh."""

    def __init__(self, memo: SqlResponseMemo, *, clock: Callable[[], datetime],
                 keep: timedelta = KEEP, every: timedelta = timedelta(hours=1)) -> None:
        self.memo, self.clock, self.keep, self.every = memo, clock, keep, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="idempotency-retention",
                                        daemon=True)

    def run_once(self) -> int:
        return self.memo.forget_older_than(self.clock() - self.keep)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                forgotten = self.run_once()
                if forgotten:
                    log.info("idempotency: forgot %d answers older than %s", forgotten,
                             self.keep)
            except SQLAlchemyError:  # the database away: the next round tries again
                log.warning("idempotency: could not forget old answers", exc_info=True)
            self._stop.wait(self.every.total_seconds())

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
