"""The PostgreSQL the tests use: a database per test, migrated by the app like SQLite is."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.migrate import upgrade


async def test_each_test_gets_an_empty_database_that_migrates(postgres_url: str) -> None:
    """A test's database starts empty and the migrations bring it to every branch's head."""
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            tables = (await connection.execute(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema='public'"
            ))).scalar_one()
        assert tables == 0
        await upgrade(engine)
        async with engine.connect() as connection:
            names = set((await connection.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema='public'"
            ))).scalars())
        assert {"alarms", "seniors", "staff_users", "alembic_version"} <= names
    finally:
        await engine.dispose()
