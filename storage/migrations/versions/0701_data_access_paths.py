"""calls and service orders indexed by time, for the month's KPIs and the bureau report

Revision ID: 0701_data_access_paths
Revises: 0700_data_retention
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0701_data_access_paths"
down_revision: str | Sequence[str] | None = "0700_data_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0300_callcenter", "0400_dispatch")


def upgrade() -> None:
    op.create_index("ix_call_legs_created_at", "call_legs", ["created_at"])
    op.create_index("ix_dispatch_orders_created_at", "dispatch_orders", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_dispatch_orders_created_at", table_name="dispatch_orders")
    op.drop_index("ix_call_legs_created_at", table_name="call_legs")
