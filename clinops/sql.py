"""What every service's SQL store shares: how an engine is made and how migrations are run,
and the transaction a mutating call's changes join (`ambient`).

Each service keeps its own schema and Alembic history; only the mechanics live here.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    cast,
    create_engine,
    event,
    func,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

SQLITE_POOL_SIZE = 16


def create_db_engine(database_url: str) -> Engine:
    """An engine for `database_url`; a SQLite file's folder is created, foreign keys enforced."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        # pre-ping: a restarted PostgreSQL costs one failed checkout, not a failed request.
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # As many pooled connections as a gRPC server has worker threads (clinops.rpc.create_server's
    # 16): with the default 5 (+10 overflow, closed on return) a busy server kept opening and
    # closing SQLite connections and its 16th call waited for one (BENCHMARKS.md, /shift-gap).
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           pool_size=SQLITE_POOL_SIZE)

    @event.listens_for(engine, "connect")
    def _enforce_foreign_keys(connection, _record) -> None:  # noqa: ANN001 - DBAPI objects
        connection.execute("PRAGMA foreign_keys=ON")

    return engine


def whole_sum(amount: ColumnElement[int]) -> ColumnElement[int]:
    """SUM of a whole-number column as a whole number on every database, 0 over no rows."""
    # PostgreSQL's SUM of a bigint is numeric, which psycopg hands back as decimal.Decimal; a
    # protobuf int64 field refuses it, so every approval answered UNKNOWN once spend existed.
    # Cast in SQL so each store gets int from SQLite and PostgreSQL alike.
    return cast(func.coalesce(func.sum(amount), 0), BigInteger)


def upgrade_to_head(database_url: str, migrations: Path) -> None:
    """Bring the database at `database_url` to the newest schema of `migrations` (Alembic)."""
    engine = create_db_engine(database_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(migrations))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


# The connection whose transaction this call's changes join (clinops.idempotency claims the
# call's idempotency key in it). A ContextVar: each gRPC handler runs in its own thread.
_ambient: ContextVar[Connection | None] = ContextVar("clinops_sql_ambient", default=None)


@contextmanager
def ambient(connection: Connection) -> Iterator[None]:
    """Within this block, the stores on `connection`'s engine work in its transaction."""
    token = _ambient.set(connection)
    try:
        yield
    finally:
        _ambient.reset(token)


@contextmanager
def one_transaction(engine: Engine) -> Iterator[None]:
    """Every store change on `engine` within this block commits once, at its end, or not at
    all: for loading many rows (a seed, a site file) where a commit per row is the cost."""
    with engine.begin() as connection, ambient(connection):
        yield


def ambient_connection(engine: Engine) -> Connection | None:
    """The connection of the transaction a change on `engine` must join, if there is one.

    Checked against the engine: where several services share a process (tests, the demo), one
    service's transaction is never joined by another's store.
    """
    connection = _ambient.get()
    return connection if connection is not None and connection.engine is engine else None


def session_for(engine: Engine) -> Session:
    """A store's session: on its own transaction, or inside the ambient one as a savepoint.

    A savepoint, so a statement the store expects may fail (a unique key lost to a concurrent
    writer, caught and answered) undoes only itself, on PostgreSQL as on SQLite, and the call's
    other changes and its idempotency claim still commit together.
    """
    connection = ambient_connection(engine)
    if connection is None:
        return Session(engine, expire_on_commit=False)
    return Session(bind=connection, join_transaction_mode="create_savepoint",
                   expire_on_commit=False)


@contextmanager
def connection_for(engine: Engine) -> Iterator[Connection]:
    """A Core connection for a read: the ambient one (which sees this call's own writes, as a
    second connection would not), else one from the pool."""
    connection = ambient_connection(engine)
    if connection is not None:
        yield connection
        return
    with engine.connect() as pooled:
        yield pooled


@contextmanager
def dbapi_connection_for(engine: Engine) -> Iterator[Any]:
    """The DBAPI connection for a read, as `connection_for`: the ambient one, else the pool's."""
    connection = ambient_connection(engine)
    if connection is not None:
        yield connection.connection
        return
    pooled = engine.raw_connection()
    try:
        yield pooled
    finally:
        pooled.close()  # back to the pool, which rolls back what the reads began
