"""dead letters name their device and count the repeats not stored (flood limit)

Revision ID: 0303_devices_broker_dead_letter_floods
Revises: 0302_devices_readings_unique
Create Date: 2026-12-01 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0303_devices_broker_dead_letter_floods"
down_revision: str | Sequence[str] | None = "0302_devices_readings_unique"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device_dead_letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("repeats", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.create_index(batch_op.f("ix_device_dead_letters_device_id"), ["device_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device_dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_dead_letters_device_id"))
        batch_op.drop_column("repeats")
        batch_op.drop_column("device_id")
