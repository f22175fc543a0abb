"""knowledge: a full-text index of the search terms on PostgreSQL

Revision ID: 0025_knowledge_pg_search
Revises: 0024_routing_stand_in
Create Date: 2026-12-02 01:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025_knowledge_pg_search"
down_revision: str | Sequence[str] | None = "0024_routing_stand_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The terms are already CJK bigrams and words separated by spaces, so the 'simple' parser,
# which splits on spaces and folds nothing, indexes exactly them.
INDEX = "ix_policy_articles_search"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX {INDEX} ON policy_articles "
                   "USING gin (to_tsvector('simple'::regconfig, search_terms))")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"DROP INDEX {INDEX}")
