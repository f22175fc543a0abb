"""message port: messages, delivery receipts, WeChat bindings

Revision ID: 0700_messages_messaging
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0700_messages_messaging"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("messaging",)
depends_on: str | Sequence[str] | None = None

UTC = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("gateway", sa.String(length=16), nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("claimed_until", UTC, nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("senior_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("fallback_of", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("delivered_at", UTC, nullable=True),
        sa.Column("failed_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["fallback_of"], ["messages.id"],
                                name=op.f("fk_messages_fallback_of_messages"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        for column in ("state", "next_attempt_at", "provider_id", "senior_id", "case_id",
                       "alarm_id"):
            batch_op.create_index(batch_op.f(f"ix_messages_{column}"), [column], unique=False)
    op.create_table(
        "message_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"],
                                name=op.f("fk_message_receipts_message_id_messages"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_receipts")),
    )
    with op.batch_alter_table("message_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_receipts_provider_id"), ["provider_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_message_receipts_message_id"), ["message_id"],
                              unique=False)
    op.create_table(
        "wechat_bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consented_at", UTC, nullable=False),
        sa.Column("link_sent_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["emergency_contacts.id"],
                                name=op.f("fk_wechat_bindings_contact_id_emergency_contacts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_bindings")),
        sa.UniqueConstraint("contact_id", name="uq_wechat_bindings_contact_id"),
    )
    with op.batch_alter_table("wechat_bindings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wechat_bindings_phone"), ["phone"], unique=False)


def downgrade() -> None:
    op.drop_table("wechat_bindings")
    op.drop_table("message_receipts")
    op.drop_table("messages")
