"""Facilities: a hospital or clinic with its own time zone; every unit belongs to one.

The zone moves from each unit to its facility. Existing units keep working: one facility is
created per zone they were in (the most common zone's is MAIN, "Main facility"; any other is
F2, F3… named after its zone) and each unit points at its zone's facility.

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
    op.create_table(
        "facilities",
        sa.Column("facility_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
    )
    bind = op.get_bind()
    zones = bind.execute(sa.text(
        "SELECT time_zone, COUNT(*) AS units FROM units GROUP BY time_zone "
        "ORDER BY units DESC, time_zone")).scalars().all()
    for number, zone in enumerate(zones, start=1):
        facility_id, name = ("MAIN", "Main facility") if number == 1 else (f"F{number}", zone)
        bind.execute(sa.text("INSERT INTO facilities (facility_id, name, time_zone) "
                             "VALUES (:id, :name, :zone)"),
                     {"id": facility_id, "name": name, "zone": zone})
    with op.batch_alter_table("units") as table:
        table.add_column(sa.Column("facility_id", sa.String(16), nullable=True))
    bind.execute(sa.text(
        "UPDATE units SET facility_id = (SELECT f.facility_id FROM facilities f "
        "WHERE f.time_zone = units.time_zone)"))
    with op.batch_alter_table("units") as table:
        table.alter_column("facility_id", existing_type=sa.String(16), nullable=False)
        table.create_foreign_key("fk_units_facility", "facilities", ["facility_id"],
                                 ["facility_id"])
        table.create_index("ix_units_facility", ["facility_id"])
        table.drop_column("time_zone")


def downgrade() -> None:
    with op.batch_alter_table("units") as table:
        table.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
    op.get_bind().execute(sa.text(
        "UPDATE units SET time_zone = (SELECT f.time_zone FROM facilities f "
        "WHERE f.facility_id = units.facility_id)"))
    with op.batch_alter_table("units") as table:
        table.alter_column("time_zone", existing_type=sa.String(64), nullable=False)
        table.drop_index("ix_units_facility")
        table.drop_constraint("fk_units_facility", type_="foreignkey")
        table.drop_column("facility_id")
    op.drop_table("facilities")
