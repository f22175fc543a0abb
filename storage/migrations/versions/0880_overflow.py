"""overflow between centres: a centre's opening hours and time zone; for which centre a task
or an alarm was handled and by which

Revision ID: 0880_overflow
Revises: 0830_areas
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0880_overflow"
down_revision: str | Sequence[str] | None = "0830_areas"
branch_labels: str | Sequence[str] | None = ("overflow",)
depends_on: str | Sequence[str] | None = ("0024_routing_stand_in", "0300_callcenter")

HANDLED = ("routing_tasks", "alarms", "call_legs")


def upgrade() -> None:
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opening_hours", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=False,
                                      server_default="Asia/Shanghai"))
    for table in HANDLED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("for_centre_id", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("handled_by_centre_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(f"fk_{table}_for_centre", "centres",
                                        ["for_centre_id"], ["id"])
            batch_op.create_foreign_key(f"fk_{table}_handled_by_centre", "centres",
                                        ["handled_by_centre_id"], ["id"])
    with op.batch_alter_table("routing_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overflow_reason", sa.String(length=16), nullable=True))
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handled_for", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.drop_column("handled_for")
    with op.batch_alter_table("routing_tasks", schema=None) as batch_op:
        batch_op.drop_column("overflow_reason")
    for table in HANDLED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_handled_by_centre", type_="foreignkey")
            batch_op.drop_constraint(f"fk_{table}_for_centre", type_="foreignkey")
            batch_op.drop_column("handled_by_centre_id")
            batch_op.drop_column("for_centre_id")
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
        batch_op.drop_column("opening_hours")
