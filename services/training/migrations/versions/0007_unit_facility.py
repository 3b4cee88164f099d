"""Each unit's facility and its time zone, as staffing keeps them.

"Today" for a person's days left, a unit's compliance and a renewal's date is the unit's
facility's. Units on file before this have neither ("") until seeded or imported again, and
keep the service's CLINOPS_TRAINING_TIME_ZONE meanwhile.

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
    with op.batch_alter_table("units") as table:
        table.add_column(sa.Column("facility_id", sa.String(16), nullable=False,
                                   server_default=""))
        table.add_column(sa.Column("time_zone", sa.String(64), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("units") as table:
        table.drop_column("time_zone")
        table.drop_column("facility_id")
