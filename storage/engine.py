"""The async engine: SQLite gets WAL mode, foreign keys, inline statements and a write gate;
PostgreSQL an asyncpg pool that checks its connections without a round trip."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
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
        return _postgres_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    database = sqlite_file(url)
    if database is None:
        engine = create_async_engine(url, connect_args={"timeout": 30})
    else:
        _private_database_file(Path(database))
        engine = create_async_engine(url, async_creator=inline_creator(database))
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


# Statements prepared per pooled connection (SQLAlchemy's default is 100). IN lists of each
# length are statements of their own, and the app's loops, services and pages use several
# hundred texts: with 100, the cluster bench's survivor spent 12 % of its time re-preparing.
PREPARED_STATEMENTS_PER_CONNECTION = 1000


def _postgres_engine(url: str, *, pool_size: int, max_overflow: int) -> AsyncEngine:
    """asyncpg's pool without SQLAlchemy's pre-ping: the ping is a transaction of its own
    (BEGIN, a statement, ROLLBACK), three round trips before every transaction, which doubled
    the cost of the loops' idle looks. A connection the server or the network closed is
    noticed by asyncpg as it happens (the socket's end) and replaced at checkout, for free; one
    that breaks without a word fails its statement, and SQLAlchemy then renews the whole pool
    (a disconnect invalidates every older connection), so the next transaction reconnects."""
    engine = create_async_engine(
        url, pool_pre_ping=False, pool_size=pool_size, max_overflow=max_overflow,
        connect_args={"prepared_statement_cache_size": PREPARED_STATEMENTS_PER_CONNECTION})
    event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


def _refuse_closed(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A pooled connection asyncpg knows is closed goes; the pool takes (or makes) another."""
    if record.driver_connection is not None and record.driver_connection.is_closed():
        raise DisconnectionError("the pooled connection was closed by the server")


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
