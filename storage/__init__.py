"""Database engine, the declarative base, column types and the Alembic migrations."""
