"""liveness keys: a key id on sealed templates and audit frames (frames sealed from now on),
capture links tied to their sessions and spent once

Revision ID: 0401_liveness_keys
Revises: 0400_liveness
Create Date: 2026-12-01 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0401_liveness_keys"
down_revision: str | Sequence[str] | None = "0400_liveness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows from before keep key_id NULL: templates are re-sealed under a key id and plain
    # audit frames sealed at the next start (liveness/rotation.py).
    with op.batch_alter_table("liveness_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_liveness_templates_key_id"), ["key_id"])
    with op.batch_alter_table("liveness_audit_frames", schema=None) as batch_op:
        batch_op.alter_column("jpeg", new_column_name="sealed")
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_liveness_audit_frames_key_id"), ["key_id"])
    with op.batch_alter_table("liveness_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_id", sa.String(length=32), nullable=True))
    op.create_table(
        "liveness_link_uses",
        sa.Column("link_id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_liveness_link_uses")),
    )
    with op.batch_alter_table("liveness_link_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_liveness_link_uses_expires_at"), ["expires_at"])


def downgrade() -> None:
    op.drop_table("liveness_link_uses")
    with op.batch_alter_table("liveness_sessions", schema=None) as batch_op:
        batch_op.drop_column("link_id")
    with op.batch_alter_table("liveness_audit_frames", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_liveness_audit_frames_key_id"))
        batch_op.drop_column("key_id")
        batch_op.alter_column("sealed", new_column_name="jpeg")
    with op.batch_alter_table("liveness_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_liveness_templates_key_id"))
        batch_op.drop_column("key_id")
