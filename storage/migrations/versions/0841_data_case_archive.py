"""case records archivable by age: archived_at on alarms, incidents, calls, service orders and
certifications (lists leave archived rows out; each stays readable by its id)

Revision ID: 0841_data_case_archive
Revises: 0840_data_paths_at_size
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0841_data_case_archive"
down_revision: str | Sequence[str] | None = "0840_data_paths_at_size"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0300_callcenter", "0400_dispatch", "0400_liveness",
                                          "0500_incidents")

TABLES = ("alarms", "incidents", "call_legs", "dispatch_orders", "liveness_certifications")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("archived_at", storage.types.UTCDateTime(timezone=True),
                                          nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("archived_at")
