"""dispatch keys: each provider's own webhook secret, sealed

Revision ID: 0404_dispatch_keys
Revises: 0403_dispatch_schedule_dates
Create Date: 2026-12-01 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0404_dispatch_keys"
down_revision: str | Sequence[str] | None = "0403_dispatch_schedule_dates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Providers from before have none: their webhooks stop until a secret is issued
    # (POST /api/v1/providers/{id}/webhook-secret), as the old ones were signed with the
    # installation's secret key.
    with op.batch_alter_table("dispatch_providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_secret_sealed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_providers", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret_sealed")
