"""Outbox delivery: an event counts as delivered when the notifier records its post here.

The relay publishes again what stays unrecorded past a lease (Redis may have lost the stream).
Rows published before this revision are taken as delivered, as they were then counted, so an
upgrade does not post old events a second time.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as table:
        table.add_column(sa.Column("publications", sa.Integer, nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("republish_after", sa.String(40), nullable=True))
        table.add_column(sa.Column("delivered_at", sa.String(40), nullable=True))
        table.add_column(sa.Column("slack_channel_id", sa.String(64), nullable=False,
                                   server_default=""))
        table.add_column(sa.Column("slack_message_ts", sa.String(32), nullable=False,
                                   server_default=""))
    op.execute("UPDATE outbox SET delivered_at = published_at, publications = 1"
               " WHERE published_at IS NOT NULL")
    # The relay's question each pass: what is published, undelivered and past its lease.
    op.create_index("ix_outbox_undelivered", "outbox", ["delivered_at", "republish_after"])


def downgrade() -> None:
    op.drop_index("ix_outbox_undelivered", table_name="outbox")
    with op.batch_alter_table("outbox") as table:
        for column in ("slack_message_ts", "slack_channel_id", "delivered_at",
                       "republish_after", "publications"):
            table.drop_column(column)
