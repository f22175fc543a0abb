"""centre lines: the numbers (12349 lines, trunks) each centre answers, so a call from an
unknown number goes to the centre whose line it dialled

Revision ID: 0890_centres_lines
Revises: 0830_areas
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0890_centres_lines"
down_revision: str | Sequence[str] | None = "0830_areas"
branch_labels: str | Sequence[str] | None = ("centres",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "centre_lines",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["centre_id"], ["centres.id"], ondelete="CASCADE",
                                name=op.f("fk_centre_lines_centre_id_centres")),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_centre_lines")),
    )
    op.create_index("ix_centre_lines_centre_id", "centre_lines", ["centre_id"])


def downgrade() -> None:
    op.drop_index("ix_centre_lines_centre_id", table_name="centre_lines")
    op.drop_table("centre_lines")
