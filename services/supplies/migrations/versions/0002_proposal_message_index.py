"""Find a proposal by the message it was posted as: a decision replied in its thread names it so.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_proposals_slack_message", "proposals",
                    ["slack_channel_id", "slack_message_ts"])


def downgrade() -> None:
    op.drop_index("ix_proposals_slack_message", table_name="proposals")
