"""routing task preferred operator (the owner of the senior's open incident)

Revision ID: 0023_routing_preferred
Revises: 0022_routing_phone
Create Date: 2026-11-28 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_routing_preferred"
down_revision: str | Sequence[str] | None = "0022_routing_phone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("routing_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("routing_tasks", schema=None) as batch_op:
        batch_op.drop_column("preferred")
