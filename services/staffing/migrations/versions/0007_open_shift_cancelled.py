"""Who cancelled an open shift, and when.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("open_shifts") as table:
        table.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("cancelled_by", sa.String(80), nullable=False,
                                   server_default=""))
        table.add_column(sa.Column("cancelled_by_user", sa.String(32), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("open_shifts") as table:
        table.drop_column("cancelled_by_user")
        table.drop_column("cancelled_by")
        table.drop_column("cancelled_at")
