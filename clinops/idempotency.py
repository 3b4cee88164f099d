"""The first answer to each idempotency key, kept in a service's own database.

Each service that memoises responses creates the `idempotent_responses` table in a migration of
its own; this module only reads and writes it (see `clinops.rpc.IdempotencyInterceptor`).
"""

from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

TABLE_NAME = "idempotent_responses"

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
