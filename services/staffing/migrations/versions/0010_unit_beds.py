"""A unit's beds: a census above them is refused as a slip.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units") as table:
        table.add_column(sa.Column("beds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units") as table:
        table.drop_column("beds")
