"""Load certification types and requirements from data/*.csv.

Revision ID: 0002
Revises: 0001
"""

import csv
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DATA = Path(__file__).resolve().parents[2] / "data"

certification_types = sa.table(
    "certification_types",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("validity_months", sa.Integer),
    sa.column("reminder_days", sa.String),
    sa.column("source", sa.Text),
)
requirements = sa.table(
    "requirements",
    sa.column("role", sa.String),
    sa.column("unit_category", sa.String),
    sa.column("unit_id", sa.String),
    sa.column("certification_code", sa.String),
)


def _read(name: str) -> list[dict]:
    with (DATA / name).open(newline="", encoding="utf-8") as table:
        return list(csv.DictReader(table))


def upgrade() -> None:
    op.bulk_insert(certification_types, [
        {**row, "validity_months": int(row["validity_months"])}
        for row in _read("certification_types.csv")
    ])
    op.bulk_insert(requirements, _read("requirements.csv"))


def downgrade() -> None:
    op.execute(requirements.delete())
    op.execute(certification_types.delete())
