"""readings rolled up by hour and day; readings indexed by time; on PostgreSQL partitioned by day

Revision ID: 0700_data_retention
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0700_data_retention"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("retention",)
depends_on: str | Sequence[str] | None = "0303_devices_broker_dead_letter_floods"

# The same steps as retention/partitions.py, kept here so the migration never changes.
PARTITION_READINGS = [
    "CREATE TABLE device_readings_by_day (LIKE device_readings INCLUDING DEFAULTS) "
    "PARTITION BY RANGE (measured_at)",
    "CREATE TABLE device_readings_default PARTITION OF device_readings_by_day DEFAULT",
    "INSERT INTO device_readings_by_day SELECT * FROM device_readings",
    "ALTER SEQUENCE device_readings_id_seq OWNED BY NONE",
    "DROP TABLE device_readings",
    "ALTER TABLE device_readings_by_day RENAME TO device_readings",
    "ALTER SEQUENCE device_readings_id_seq OWNED BY device_readings.id",
    "ALTER TABLE device_readings ADD CONSTRAINT pk_device_readings PRIMARY KEY (id, measured_at)",
    "CREATE UNIQUE INDEX uq_device_readings_device_measured_metric "
    "ON device_readings (device_id, measured_at, metric)",
    "CREATE INDEX ix_device_readings_senior_id ON device_readings (senior_id)",
]


def upgrade() -> None:
    op.create_table(
        "reading_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("senior_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("resolution", sa.String(length=8), nullable=False),
        sa.Column("bucket_start", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_rollups")),
    )
    op.create_index("uq_reading_rollups_senior_metric_bucket", "reading_rollups",
                    ["senior_id", "resolution", "metric", "bucket_start"], unique=True)
    op.create_index("ix_reading_rollups_resolution_bucket", "reading_rollups",
                    ["resolution", "bucket_start"])
    op.create_table(
        "reading_rollup_cursors",
        sa.Column("resolution", sa.String(length=8), nullable=False),
        sa.Column("rolled_until", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("resolution", name=op.f("pk_reading_rollup_cursors")),
    )
    if op.get_context().dialect.name == "postgresql":
        for statement in PARTITION_READINGS:
            op.execute(sa.text(statement))
    op.create_index("ix_device_readings_senior_measured", "device_readings",
                    ["senior_id", "measured_at"])
    op.create_index("ix_device_readings_measured_at", "device_readings", ["measured_at"])


def downgrade() -> None:
    op.drop_index("ix_device_readings_measured_at", table_name="device_readings")
    op.drop_index("ix_device_readings_senior_measured", table_name="device_readings")
    op.drop_table("reading_rollup_cursors")
    op.drop_table("reading_rollups")
