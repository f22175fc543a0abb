"""call recordings

Revision ID: 0701_messages_recordings
Revises: 0700_messages_messaging
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0701_messages_recordings"
down_revision: str | Sequence[str] | None = "0700_messages_messaging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "call_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_ref", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("stored_at", UTC, nullable=True),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("purged_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_recordings")),
    )
    with op.batch_alter_table("call_recordings", schema=None) as batch_op:
        for column in ("call_id", "state", "expires_at"):
            batch_op.create_index(batch_op.f(f"ix_call_recordings_{column}"), [column],
                                  unique=False)


def downgrade() -> None:
    op.drop_table("call_recordings")
