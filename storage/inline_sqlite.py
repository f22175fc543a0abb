"""SQLite driven from the event loop's own thread, with a busy handler that awaits.

aiosqlite runs every statement on a helper thread and hands the result back through the event
loop: a round trip per statement that, on a busy loop, costs milliseconds while the statement
itself costs tens of microseconds. A transaction spanning several statements then holds the
database's single write lock for all those round trips, and every other writer queues behind
it. Here each statement runs inline instead, so a transaction's statements run back to back and
its write lock is held for the time SQLite needs, not the time the loop needs.

The price is that a statement blocks the loop while it runs. That is what SQLite is chosen
for (the embedded, single-site deployment, statements of well under a millisecond); a large
centre runs PostgreSQL. Two things must never block, and do not:

* waiting for another writer. SQLite's own busy handler would sleep on the loop's thread, so it
  is off (``busy_timeout=0``); a first write that finds the database locked by another process
  is retried after an ``asyncio.sleep`` that grows from 1 ms to 20 ms, for up to
  ``wait_seconds``. Writers of this process queue in the write gate before they get here.
* another thread's connection: none exists.

The objects below present the small part of aiosqlite's interface that SQLAlchemy's aiosqlite
dialect uses (``async_creator``), so SQLAlchemy's SQLite dialect, types and pool stay as they are.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any

BUSY_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02)


class InlineCursor:
    """A sqlite3 cursor behind aiosqlite's awaitable cursor methods."""

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection.sqlite.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await self._connection.run(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        rows = list(parameters)
        await self._connection.run(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """One sqlite3 connection used only from the event loop's thread."""

    def __init__(self, connection: sqlite3.Connection, *, wait_seconds: float) -> None:
        self._connection: sqlite3.Connection | None = connection
        self.wait_seconds = wait_seconds

    @property
    def sqlite(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self.sqlite.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def run(self, statement: Callable[[], object]) -> None:
        """Run ``statement``; while another process holds the write lock, wait on the loop and
        try again (only a transaction's first write can meet the lock, and it changed nothing)."""
        deadline = None
        step = 0
        while True:
            first_write = not self.sqlite.in_transaction
            try:
                statement()
                return
            except sqlite3.OperationalError as error:
                if not (first_write and _is_busy(error)):
                    raise
                if self.sqlite.in_transaction:  # the implicit BEGIN stays open: end it
                    self.sqlite.rollback()
                now = time.monotonic()
                deadline = deadline or now + self.wait_seconds
                if now >= deadline:
                    raise
            await asyncio.sleep(BUSY_STEPS[min(step, len(BUSY_STEPS) - 1)])
            step += 1

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.sqlite.create_function(*args, **kwargs)

    async def commit(self) -> None:
        self.sqlite.commit()

    async def rollback(self) -> None:
        self.sqlite.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close now (SQLAlchemy's forced termination calls this one)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY or \
        "database is locked" in str(error)


def inline_creator(database: str, *, wait_seconds: float = 30.0) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: inline connections to ``database``."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(database, timeout=0, check_same_thread=False)
        return InlineConnection(connection, wait_seconds=wait_seconds)

    return connect
