"""Alembic environment for the supplies database; run through services.supplies.store.migrate."""

from alembic import context
from sqlalchemy import create_engine

config = context.config
# Its own version table, so supplies can share a database with another service if it must.
VERSION_TABLE = "supplies_alembic_version"


def run_migrations_online() -> None:
    """Upgrade on the connection `migrate` passes in, or on the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, render_as_batch=True,
                          version_table=VERSION_TABLE)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as own:
        context.configure(connection=own, render_as_batch=True, version_table=VERSION_TABLE)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; pass a database URL")
run_migrations_online()
