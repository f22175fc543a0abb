"""dispatch escalation codes: why an order needs a person, as a code the pages put in words

Revision ID: 0850_dispatch_escalation_codes
Revises: 0404_dispatch_keys
Create Date: 2026-12-02 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0850_dispatch_escalation_codes"
down_revision: str | Sequence[str] | None = "0404_dispatch_keys"
# Its own label, so a sibling revision on the dispatch branch does not make two heads there.
branch_labels: str | Sequence[str] | None = ("dispatch_escalation_codes",)
depends_on: str | Sequence[str] | None = None

# Orders escalated before the code existed: the code read back from the sentence they carry
# (the sentences of dispatch/escalations.py, checked from the most specific pattern down).
BACKFILL = (
    ("no_service", "no active provider offers %"),
    ("no_hours", "% works at that hour"),
    ("no_area", "no provider offers % in %"),
    ("capacity", "% is at capacity"),
    ("all_declined", "% declined, aborted or is blocked"),
    ("too_far", "% arrive before the deadline"),
    ("no_acceptance", "no provider accepted after % offers"),
)


def upgrade() -> None:
    with op.batch_alter_table("dispatch_orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation_code", sa.String(32), nullable=False, server_default="")
        )
    orders = sa.table(
        "dispatch_orders",
        sa.column("escalation_reason", sa.Text()),
        sa.column("escalation_code", sa.String(32)),
    )
    for code, pattern in BACKFILL:
        op.execute(
            orders.update()
            .where(orders.c.escalation_code == "", orders.c.escalation_reason.like(pattern))
            .values(escalation_code=code)
        )


def downgrade() -> None:
    with op.batch_alter_table("dispatch_orders", schema=None) as batch_op:
        batch_op.drop_column("escalation_code")
