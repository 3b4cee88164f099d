"""The day a unit opened: no stock count or use is dated before it.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units") as table:
        table.add_column(sa.Column("opened_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units") as table:
        table.drop_column("opened_on")
