"""The first answer to each idempotency key, kept in a service's own database for a week.

A mutating call with a key claims it in the transaction of the change itself (DESIGN.md:
"Idempotency lives in the change's own transaction"): the key's row is inserted first, under
its primary key, then the call runs with that transaction ambient (`clinops.sql.ambient`, which
every store's session joins), then its answer is written into the row and all of it commits at
once. So a concurrent repeat waits on the row and then reads the first answer, a process killed
after the commit leaves the answer for the retry, and a refusal (the call raising) gives the
key back to be decided afresh, committing what the refusal wrote (its audit row) as a call
without a key would.

Each service creates the `idempotent_responses` table in a migration of its own; `Retention`
forgets answers older than `KEEP` so the table does not grow for ever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Self

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from clinops import sql

log = logging.getLogger(__name__)
TABLE_NAME = "idempotent_responses"
# A repeat comes within minutes (Slack's retries, a gRPC retry, an operator rerunning an import
# after a timeout); a week answers every such repeat and keeps the table small.
KEEP = timedelta(days=7)
# A claim lost to a concurrent call whose row then vanished (its answer forgotten by Retention
# in between) is tried again; more than this many in a row means something else is wrong.
_CLAIM_ATTEMPTS = 3

_metadata = MetaData()
responses = Table(
    TABLE_NAME,
    _metadata,
    Column("key_digest", String(64), primary_key=True),
    # sha256 of the request's bytes; NULL on answers kept before requests were hashed.
    Column("request_hash", String(64), nullable=True),
    # NULL only inside the claiming transaction: no other connection ever sees it so.
    Column("response", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class KeyReused(Exception):  # noqa: N818 - what the caller did
    """The key was used before for a different request: the first answer is not this one's."""


@dataclass(frozen=True)
class Answer:
    """The answer to a call with an idempotency key, and whether this call made it."""

    response: bytes
    fresh: bool


@dataclass(frozen=True)
class Remembered:
    """A key's row: the hash of the request that claimed it and that request's answer."""

    request_hash: str | None
    response: bytes | None


class SqlResponseMemo:
    """The first answer to each key, claimed in the change's own transaction (see above)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def answer_once(self, key_digest: str, request_hash: str,
                    run: Callable[[Claim], bytes]) -> Answer:
        """`run(claim)`'s answer, committed with its changes under `key_digest`, or the first
        answer kept for the key. Raises KeyReused when the key was claimed by another request.
        """
        for _attempt in range(_CLAIM_ATTEMPTS):
            fresh = self._claim_and_run(key_digest, request_hash, run)
            if fresh is not None:
                return Answer(fresh, fresh=True)
            # Lost to a call with the same key: read its answer in a transaction of our own
            # (on PostgreSQL the one the failed insert was in can no longer be used).
            first = self.recall(key_digest)
            if first is None:
                continue  # forgotten in between: claim it afresh
            if first.request_hash is not None and first.request_hash != request_hash:
                raise KeyReused(key_digest)
            assert first.response is not None  # claim and answer commit together
            return Answer(first.response, fresh=False)
        raise RuntimeError("could not claim an idempotency key nor read its first answer")

    def _claim_and_run(self, key_digest: str, request_hash: str,
                       run: Callable[[Claim], bytes]) -> bytes | None:
        """Claim the key, run, keep the answer, commit; None when the key was claimed first.

        The claim is the transaction's first statement: on PostgreSQL a concurrent insert of the
        same key waits for this transaction and then fails; on SQLite it takes the write lock,
        so a concurrent writer waits on it (the engine's busy timeout) and then fails likewise.
        """
        with self.engine.connect() as connection:
            try:
                connection.execute(insert(responses).values(
                    key_digest=key_digest, request_hash=request_hash, response=None,
                    created_at=datetime.now(UTC)))
            except IntegrityError:
                connection.rollback()
                return None
            claim = Claim(connection, key_digest)
            try:
                with sql.ambient(connection):
                    response = run(claim)
            except Exception:
                claim.release()
                raise
            connection.execute(update(responses).where(
                responses.c.key_digest == key_digest).values(response=response))
            connection.commit()
        return response

    def recall(self, key_digest: str) -> Remembered | None:
        """The key's request hash and first answer, or None if it has none (or was forgotten)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(responses.c.request_hash, responses.c.response)
                .where(responses.c.key_digest == key_digest)).first()
        return Remembered(row.request_hash, row.response) if row is not None else None

    def forget_older_than(self, cutoff: datetime) -> int:
        """Drop the answers remembered before `cutoff`; how many went."""
        with self.engine.begin() as connection:
            return connection.execute(
                delete(responses).where(responses.c.created_at < cutoff)).rowcount


class Claim:
    """A key claimed by the running call, in the transaction its changes are made in."""

    def __init__(self, connection: Connection, key_digest: str) -> None:
        self._connection, self.key_digest = connection, key_digest
        self._released = False

    def release(self) -> None:
        """The call is refused: commit what it wrote without its claim, so the key is decided
        afresh next time. Called before the refusal is sent (a client that reads the audit log
        on hearing it finds it there) and again, harmlessly, as the refusal unwinds.

        What a refusal writes is its audit row (DESIGN.md: refusals are audited too), which a
        call without a key commits as well; rolling everything back would lose it.
        """
        if self._released:
            return
        self._released = True
        try:
            self._connection.execute(
                delete(responses).where(responses.c.key_digest == self.key_digest))
            self._connection.commit()
        except SQLAlchemyError:  # the transaction itself failed: nothing of it is kept
            log.warning("idempotency: a refused call's writes could not be kept", exc_info=True)
            self._connection.rollback()


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
