"""a senior's roll-ups found by (senior, resolution, bucket): a chart's span is one range of
the index, whatever the number of metrics or the years kept

Revision ID: 0910_data3_rollups_by_time
Revises: 0900_data2_search_pieces
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0910_data3_rollups_by_time"
down_revision: str | Sequence[str] | None = "0900_data2_search_pieces"
branch_labels: str | Sequence[str] | None = ("data3",)
depends_on: str | Sequence[str] | None = "0700_data_retention"


def upgrade() -> None:
    # Same columns, so the same uniqueness; only the order changes (bucket before metric).
    op.create_index("uq_reading_rollups_senior_bucket_metric", "reading_rollups",
                    ["senior_id", "resolution", "bucket_start", "metric"], unique=True)
    op.drop_index("uq_reading_rollups_senior_metric_bucket", table_name="reading_rollups")


def downgrade() -> None:
    op.create_index("uq_reading_rollups_senior_metric_bucket", "reading_rollups",
                    ["senior_id", "resolution", "metric", "bucket_start"], unique=True)
    op.drop_index("uq_reading_rollups_senior_bucket_metric", table_name="reading_rollups")
