"""Supplies' and training's unit rows gain a facility (and training a zone) without losing a unit:
upgraded from the previous head with units on file, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from clinops.sql import create_db_engine
from services.supplies import store as supplies
from services.training import store as training


def _upgrade(url: str, migrations: Path, revision: str) -> None:
    engine = create_db_engine(url)
    try:
        config = Config()
        config.set_main_option("script_location", str(migrations))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _insert(url: str, statement: str) -> None:
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


def test_supplies_units_keep_their_zone_and_budget_and_get_an_empty_facility(
        database_url: str) -> None:
    _upgrade(database_url, supplies.MIGRATIONS, "0006")
    _insert(database_url, "INSERT INTO units (unit_id, name, slack_channel_id, time_zone, "
                          "monthly_budget_cents) VALUES ('ICU', 'ICU', 'C1', "
                          "'America/Los_Angeles', 4000000)")
    supplies.migrate(database_url)
    store = supplies.SuppliesStore.open(database_url)
    try:
        unit = store.get_unit("ICU")
        assert (unit.time_zone, unit.monthly_budget_cents, unit.facility_id) == (
            "America/Los_Angeles", 4_000_000, "")
    finally:
        store.close()


def test_training_units_are_kept_with_no_zone_on_file_until_seeded(database_url: str) -> None:
    _upgrade(database_url, training.MIGRATIONS, "0006")
    _insert(database_url, "INSERT INTO units (unit_id, name, category) VALUES ('ICU', 'ICU', "
                          "'ICU')")
    training.migrate(database_url)
    store = training.TrainingStore.open(database_url)
    try:
        unit = store.get_unit("ICU")
        assert (unit.name, unit.facility_id, unit.time_zone) == ("ICU", "", "")
    finally:
        store.close()
