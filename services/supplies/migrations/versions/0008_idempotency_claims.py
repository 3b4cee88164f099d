"""Idempotency keys are claimed in the change's own transaction, with the request's hash.

The key's row is inserted first and its answer written before the same commit
(clinops.idempotency), so `response` is empty while the claim is open; `request_hash` tells
a repeat of the first request from a different one under the same key (ALREADY_EXISTS). Rows
kept before this have no hash and are answered as they were.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotent_responses") as table:
        table.add_column(sa.Column("request_hash", sa.String(64), nullable=True))
        table.alter_column("response", existing_type=sa.LargeBinary, nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("idempotent_responses") as table:
        table.alter_column("response", existing_type=sa.LargeBinary, nullable=False)
        table.drop_column("request_hash")
