"""the record of restore drills

Revision ID: 0710_data_backups
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0710_data_backups"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("backups",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "backup_drills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("backup_file", sa.String(length=255), nullable=False),
        sa.Column("backup_created_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recovery_point_s", sa.Float(), nullable=True),
        sa.Column("recovery_time_s", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_drills")),
    )
    op.create_index("ix_backup_drills_started_at", "backup_drills", ["started_at"])


def downgrade() -> None:
    op.drop_table("backup_drills")
