"""What every service's SQL store shares: how an engine is made and how migrations are run.

Each service keeps its own schema and Alembic history; only the mechanics live here.
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

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
