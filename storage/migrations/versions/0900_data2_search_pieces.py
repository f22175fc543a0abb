"""search at a region's size: seniors' name pieces (one and two characters) in name order,
phone digits reversed for "the last digits", inbound calls by the time they were offered

Revision ID: 0900_data2_search_pieces
Revises: 0841_data_case_archive
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0900_data2_search_pieces"
down_revision: str | Sequence[str] | None = "0841_data_case_archive"
branch_labels: str | Sequence[str] | None = ("data2",)
depends_on: str | Sequence[str] | None = ("0300_callcenter",)

BATCH = 10_000


def _pieces(name: str) -> set[str]:
    """As seniors/models.py ``name_grams`` (copied: a migration never changes)."""
    folded = name.lower()
    pieces = {folded[i:i + size] for size in (1, 2) for i in range(len(folded) - size + 1)}
    return {piece for piece in pieces if not any(ch.isspace() for ch in piece)}


def upgrade() -> None:
    grams = op.create_table(
        "senior_name_grams",
        sa.Column("senior_id", sa.Integer(), nullable=False),
        sa.Column("gram", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["senior_id"], ["seniors.id"],
                                name=op.f("fk_senior_name_grams_senior_id_seniors"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("senior_id", "gram", name=op.f("pk_senior_name_grams")),
    )
    with op.batch_alter_table("senior_phones") as batch_op:
        batch_op.add_column(sa.Column("digits_reversed", sa.String(length=20), nullable=False,
                                      server_default=""))
    if not op.get_context().as_sql:  # an offline (SQL script) upgrade has no rows to read
        _fill(grams)
    op.create_index("ix_senior_name_grams_gram_name", "senior_name_grams",
                    ["gram", "name", "senior_id"])
    op.create_index("ix_senior_phones_digits_reversed", "senior_phones", ["digits_reversed"])
    op.create_index("ix_call_legs_offered_at", "call_legs", ["offered_at"])


def _fill(grams: sa.Table) -> None:
    """The pieces of every senior's name, and every number's reversed digits."""
    connection = op.get_bind()
    seniors = sa.table("seniors", sa.column("id", sa.Integer), sa.column("name", sa.String))
    rows = [{"senior_id": senior_id, "gram": gram, "name": name}
            for senior_id, name in connection.execute(sa.select(seniors.c.id, seniors.c.name))
            for gram in _pieces(name)]
    for start in range(0, len(rows), BATCH):
        connection.execute(grams.insert(), rows[start:start + BATCH])
    phones = sa.table("senior_phones", sa.column("id", sa.Integer),
                      sa.column("number", sa.String), sa.column("digits_reversed", sa.String))
    numbers = [{"key": key, "reversed": "".join(ch for ch in reversed(number) if ch.isdigit())}
               for key, number in connection.execute(sa.select(phones.c.id, phones.c.number))]
    if numbers:
        connection.execute(phones.update().where(phones.c.id == sa.bindparam("key"))
                           .values(digits_reversed=sa.bindparam("reversed")), numbers)


def downgrade() -> None:
    op.drop_index("ix_call_legs_offered_at", table_name="call_legs")
    op.drop_index("ix_senior_phones_digits_reversed", table_name="senior_phones")
    with op.batch_alter_table("senior_phones") as batch_op:
        batch_op.drop_column("digits_reversed")
    op.drop_table("senior_name_grams")
