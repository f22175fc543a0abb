"""device readings stored once per device, time and metric

Revision ID: 0302_devices_readings_unique
Revises: 0301_devices_phone
Create Date: 2026-11-28 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0302_devices_readings_unique"
down_revision: str | Sequence[str] | None = "0301_devices_phone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Copies stored by redeliveries before this revision: keep the first of each.
    op.execute(sa.text(
        "DELETE FROM device_readings WHERE id NOT IN ("
        "SELECT MIN(id) FROM device_readings GROUP BY device_id, measured_at, metric)"))
    op.drop_index("ix_device_readings_device_measured", table_name="device_readings")
    op.create_index("uq_device_readings_device_measured_metric", "device_readings",
                    ["device_id", "measured_at", "metric"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_device_readings_device_measured_metric", table_name="device_readings")
    op.create_index("ix_device_readings_device_measured", "device_readings",
                    ["device_id", "measured_at"], unique=False)
