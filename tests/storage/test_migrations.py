"""The schema: migrations on a real SQLite file in WAL mode, and SQL that PostgreSQL accepts."""

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from storage.engine import create_engine
from storage.migrate import upgrade, upgrade_sql


@pytest.mark.sqlite_only("SQLite's WAL journal mode")
async def test_upgrade_creates_the_tables_in_wal_mode(tmp_path: Path) -> None:
    """Upgrading a new file creates every table; running it again changes nothing."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    await upgrade(engine)
    await upgrade(engine)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
    await engine.dispose()
    assert {"seniors", "senior_phones", "emergency_contacts", "consents", "staff_users",
            "staff_sessions", "audit_log", "alembic_version"} <= set(tables)
    assert mode == "wal"


def test_migrations_render_for_postgresql() -> None:
    """The same migrations produce PostgreSQL DDL, with no SQLite-only construct."""
    sql = upgrade_sql("postgresql+asyncpg://anxin@127.0.0.1/anxin")
    assert "CREATE TABLE seniors" in sql
    assert "TIMESTAMP WITH TIME ZONE" in sql
    assert "AUTOINCREMENT" not in sql.upper() and "PRAGMA" not in sql.upper()
