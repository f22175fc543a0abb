"""access paths for a region: seniors by district and name, a senior's alarms by time; the
readings' single-column senior index goes (the (senior, time) index serves every lookup by senior)

Revision ID: 0840_data_paths_at_size
Revises: 0701_data_access_paths
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0840_data_paths_at_size"
down_revision: str | Sequence[str] | None = "0701_data_access_paths"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0010_alarms",)


def upgrade() -> None:
    op.create_index("ix_seniors_district_name", "seniors", ["district", "name", "id"])
    op.create_index("ix_seniors_name_id", "seniors", ["name", "id"])
    op.drop_index("ix_seniors_name", table_name="seniors")
    op.create_index("ix_alarms_senior_first", "alarms", ["senior_id", "first_at"])
    op.drop_index("ix_alarms_senior_id", table_name="alarms")
    op.drop_index("ix_device_readings_senior_id", table_name="device_readings")


def downgrade() -> None:
    op.create_index("ix_device_readings_senior_id", "device_readings", ["senior_id"])
    op.create_index("ix_alarms_senior_id", "alarms", ["senior_id"])
    op.drop_index("ix_alarms_senior_first", table_name="alarms")
    op.create_index("ix_seniors_name", "seniors", ["name"])
    op.drop_index("ix_seniors_name_id", table_name="seniors")
    op.drop_index("ix_seniors_district_name", table_name="seniors")
