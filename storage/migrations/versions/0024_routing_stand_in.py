"""routing: supervisors standing in for an emergency

Revision ID: 0024_routing_stand_in
Revises: 0023_routing_preferred
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_routing_stand_in"
down_revision: str | Sequence[str] | None = "0023_routing_preferred"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("routing_operators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stand_in", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("routing_operators", schema=None) as batch_op:
        batch_op.drop_column("stand_in")
