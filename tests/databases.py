"""The databases tests run on: which backend this pass uses, and cheap PostgreSQL databases.

Migrating a PostgreSQL database takes seconds; copying a migrated one takes milliseconds. So a
run migrates one template database and every test that wants a migrated database gets a copy
(``CREATE DATABASE ... TEMPLATE``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import asyncpg
import pytest
from sqlalchemy.engine import URL

from storage.engine import create_engine
from storage.migrate import upgrade

Backend = Literal["sqlite", "postgresql"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgresql")
# The pass's backend when --database is not given (scripts/test gives it).
BACKEND_ENV = "ANXIN_TEST_DATABASE"
SQLITE_ONLY = "sqlite_only"


def add_option(parser: pytest.Parser) -> None:
    default = os.environ.get(BACKEND_ENV, "sqlite")
    parser.addoption("--database", choices=BACKENDS, default=default,
                     help=f"the database every test's app runs on (default: ${BACKEND_ENV} "
                          "or sqlite); tests marked sqlite_only are skipped on postgresql")


def backend(config: pytest.Config) -> Backend:
    value: Backend = config.getoption("--database")
    return value


def skip_sqlite_only(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass, skip the tests that are about SQLite itself."""
    if backend(config) == "sqlite":
        return
    for item in items:
        marker = item.get_closest_marker(SQLITE_ONLY)
        if marker is not None:
            reason = marker.args[0] if marker.args else "about SQLite itself"
            item.add_marker(pytest.mark.skip(reason=f"sqlite only: {reason}"))


def _dsn(url: URL, database: str | None = None) -> str:
    """asyncpg's form of ``url`` (no SQLAlchemy driver name), optionally another database."""
    target = url.set(drivername="postgresql")
    if database is not None:
        target = target.set(database=database)
    return target.render_as_string(hide_password=False)


async def _admin(url: URL, statement: str) -> None:
    connection = await asyncpg.connect(_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _blocking(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` to its end on a loop of its own thread: fixtures call this both outside
    an event loop and (through ``request.getfixturevalue``) from inside a running test's."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, work).result()


def new_database(url: URL, *, template: str | None = None) -> URL:
    """A new database on ``url``'s server (a copy of ``template``, or empty); its URL."""
    name = f"test_{secrets.token_hex(6)}"
    copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
    _blocking(_admin(url, f'CREATE DATABASE "{name}"{copy}'))
    return url.set(database=name)


def drop_database(url: URL, database: URL) -> None:
    _blocking(_admin(url, f'DROP DATABASE IF EXISTS "{database.database}" WITH (FORCE)'))


def migrated_template(url: URL) -> URL:
    """A database on ``url``'s server with every migration applied, to copy from."""
    template = new_database(url)

    async def migrate() -> None:
        engine = create_engine(template.render_as_string(hide_password=False))
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    _blocking(migrate())
    return template
