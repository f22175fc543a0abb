"""The async engine: SQLite gets WAL mode, foreign keys, inline statements and a write gate."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from config.settings import Settings
from storage.inline_sqlite import inline_creator
from storage.scope import install_scope_filter
from storage.write_gate import GatedSession, gate_info


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> AsyncEngine:
    """An engine for ``url``. PostgreSQL gets a pool of asyncpg connections of ``pool_size``
    (and ``max_overflow`` more in a burst). A SQLite file gets its folder made and runs inline
    on the event loop (storage/inline_sqlite.py); an in-memory SQLite database keeps aiosqlite."""
    if not is_sqlite(url):
        return create_async_engine(url, pool_pre_ping=True, pool_size=pool_size,
                                   max_overflow=max_overflow)
    database = sqlite_file(url)
    if database is None:
        engine = create_async_engine(url, connect_args={"timeout": 30})
    else:
        _private_database_file(Path(database))
        engine = create_async_engine(url, async_creator=inline_creator(database))
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def settings_engine(settings: Settings) -> AsyncEngine:
    """The engine of the configured database, its pool sized by the settings."""
    return create_engine(settings.resolved_database_url, pool_size=settings.database_pool_size,
                         max_overflow=settings.database_max_overflow)


def _private_database_file(path: Path) -> None:
    """Make the database file 0600 (and a folder made for it 0700) before SQLite opens it.

    SQLite gives its -wal and -shm files the mode of the database file, so they follow.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists() and name.stat().st_mode & 0o077:
            name.chmod(0o600)


def sqlite_file(url: str | URL) -> str | None:
    """The file of a SQLite ``url``; None for an in-memory database."""
    database = make_url(url).database
    return database if database and database != ":memory:" else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions of ``engine``; on SQLite they queue for the process's write gate. Every
    session filters by the caller's areas (storage/scope.py)."""
    install_scope_filter()
    database = sqlite_file(engine.url) if engine.dialect.name == "sqlite" else None
    if database is not None:
        return async_sessionmaker(engine, expire_on_commit=False,
                                  sync_session_class=GatedSession, info=gate_info(database))
    return async_sessionmaker(engine, expire_on_commit=False)
