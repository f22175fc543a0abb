"""dispatch schedule start and end dates, and dates without a visit

Revision ID: 0403_dispatch_schedule_dates
Revises: 0402_dispatch_schedules
Create Date: 2026-11-28 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0403_dispatch_schedule_dates"
down_revision: str | Sequence[str] | None = "0402_dispatch_schedules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dispatch_schedules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("skip_dates", sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_schedules", schema=None) as batch_op:
        batch_op.drop_column("skip_dates")
        batch_op.drop_column("ends_on")
        batch_op.drop_column("starts_on")
