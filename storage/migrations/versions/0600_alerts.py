"""supervisor alerts

Revision ID: 0600_alerts
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0600_alerts"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("alerts",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervisor_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("open_key", sa.String(length=100), nullable=True),
        sa.Column("senior_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("raised_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("seen_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisor_alerts")),
        sa.UniqueConstraint("open_key", name=op.f("uq_supervisor_alerts_open_key")),
    )
    with op.batch_alter_table("supervisor_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervisor_alerts_ref"), ["ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervisor_alerts_senior_id"), ["senior_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_supervisor_alerts_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervisor_alerts_raised_at"), ["raised_at"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("supervisor_alerts")
