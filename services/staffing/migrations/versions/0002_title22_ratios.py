"""Load California's Title 22 ratio table (CCR §70217) from ratios/title22_ca.csv.

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

CSV = Path(__file__).resolve().parents[2] / "ratios" / "title22_ca.csv"

ratio_rules = sa.table(
    "ratio_rules",
    sa.column("jurisdiction", sa.String),
    sa.column("category", sa.String),
    sa.column("patient_group", sa.String),
    sa.column("patients_per_nurse", sa.Integer),
    sa.column("law", sa.String),
    sa.column("source", sa.Text),
)


def _rows() -> list[dict]:
    with CSV.open(newline="", encoding="utf-8") as table:
        return [{**row, "patients_per_nurse": int(row["patients_per_nurse"])}
                for row in csv.DictReader(table)]


def upgrade() -> None:
    op.bulk_insert(ratio_rules, _rows())


def downgrade() -> None:
    jurisdictions = {row["jurisdiction"] for row in _rows()}
    op.execute(ratio_rules.delete().where(ratio_rules.c.jurisdiction.in_(jurisdictions)))
