"""call legs remember the area of the line an unknown caller dialled, so their call is that
centre's to see, not every centre's

Revision ID: 0891_centres_line_area
Revises: 0890_centres_lines
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0891_centres_line_area"
down_revision: str | Sequence[str] | None = "0890_centres_lines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_legs") as batch:
        batch.add_column(sa.Column("line_area_code", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_legs") as batch:
        batch.drop_column("line_area_code")
