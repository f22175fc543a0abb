"""Consistent snapshots of a live database and restores of them, one pair per dialect.

SQLite: the online backup API copies the file while the app writes (WAL). PostgreSQL:
pg_dump in the custom format, of a snapshot exported by the transaction that counted the rows,
so the manifest's counts are exactly the dump's.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from backups.exceptions import BackupError, TargetNotEmptyError
from storage.engine import sqlite_file
from storage.throwaway_postgres import server_bin

PG_TABLES = ("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
             "ORDER BY c.relname")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A plain snapshot file and what was in it."""

    path: Path
    dialect: str
    revisions: list[str]
    counts: dict[str, int]


async def take(url: str, target: Path) -> Snapshot:
    """Snapshot the database at ``url`` into ``target`` (0600)."""
    database = sqlite_file(url)
    if make_url(url).get_backend_name() == "sqlite":
        if database is None:
            raise BackupError("an in-memory database cannot be backed up")
        return await asyncio.to_thread(_take_sqlite, Path(database), target)
    return await _take_postgres(url, target)


def _take_sqlite(database: Path, target: Path) -> Snapshot:
    os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=4096)
        revisions, counts = _sqlite_contents(copy)
    finally:
        copy.close()
        source.close()
    return Snapshot(target, "sqlite", revisions, counts)


def _sqlite_contents(connection: sqlite3.Connection) -> tuple[list[str], dict[str, int]]:
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    counts = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
              for name in names}
    revisions = (sorted(row[0] for row in connection.execute(
        "SELECT version_num FROM alembic_version")) if "alembic_version" in names else [])
    return revisions, counts


async def _take_postgres(url: str, target: Path) -> Snapshot:
    engine = create_async_engine(url, isolation_level="REPEATABLE READ")
    try:
        async with engine.connect() as connection:
            snapshot = (await connection.execute(text("SELECT pg_export_snapshot()"))).scalar_one()
            revisions, counts = await _postgres_contents(connection)
            await _run([str(server_bin() / "pg_dump"), "--format=custom", "--no-owner",
                        f"--snapshot={snapshot}", f"--file={target}", *_pg_args(url)], url)
            await connection.rollback()
    finally:
        await engine.dispose()
    await asyncio.to_thread(target.chmod, 0o600)
    return Snapshot(target, "postgresql", revisions, counts)


async def _postgres_contents(connection: AsyncConnection) -> tuple[list[str], dict[str, int]]:
    names = list((await connection.execute(text(PG_TABLES))).scalars())
    counts = {name: int((await connection.execute(
        text(f'SELECT count(*) FROM "{name}"'))).scalar_one()) for name in names}
    revisions = (sorted((await connection.execute(
        text("SELECT version_num FROM alembic_version"))).scalars())
        if "alembic_version" in names else [])
    return revisions, counts


async def contents(url: str) -> tuple[list[str], dict[str, int]]:
    """Revisions and row counts of a database, as a manifest records them."""
    database = sqlite_file(url)
    if make_url(url).get_backend_name() == "sqlite":
        assert database is not None
        return await asyncio.to_thread(_sqlite_file_contents, Path(database))
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await _postgres_contents(connection)
    finally:
        await engine.dispose()


def _sqlite_file_contents(database: Path) -> tuple[list[str], dict[str, int]]:
    connection = sqlite3.connect(database)
    try:
        return _sqlite_contents(connection)
    finally:
        connection.close()


async def ensure_empty(url: str) -> None:
    """Refuse a target that holds any table: a restore never overwrites data."""
    if make_url(url).get_backend_name() == "sqlite":
        database = sqlite_file(url)
        assert database is not None
        path = Path(database)
        if await asyncio.to_thread(_has_bytes, path) and (await contents(url))[1]:
            raise TargetNotEmptyError(f"{path} already holds tables: restore into an empty "
                                      f"data directory")
        return
    _, counts = await contents(url)
    if counts:
        raise TargetNotEmptyError(f"database {make_url(url).database} already holds "
                                  f"{len(counts)} tables: restore into an empty database")


async def put_back(snapshot: Path, url: str) -> None:
    """Load a plain snapshot into the (empty) database at ``url``."""
    if make_url(url).get_backend_name() == "sqlite":
        database = sqlite_file(url)
        assert database is not None
        await asyncio.to_thread(_put_back_sqlite, snapshot, Path(database))
        return
    await _run([str(server_bin() / "pg_restore"), "--no-owner", "--no-privileges",
                "--exit-on-error", "--single-transaction", *_pg_args(url, dbname_flag=True),
                str(snapshot)], url)


def _put_back_sqlite(snapshot: Path, database: Path) -> None:
    check = sqlite3.connect(snapshot)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the restored SQLite file fails its integrity check")
    finally:
        check.close()
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(snapshot, database)


def _has_bytes(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def _pg_args(url: str, *, dbname_flag: bool = False) -> list[str]:
    parsed: URL = make_url(url)
    args = [f"--host={parsed.host or '127.0.0.1'}", f"--port={parsed.port or 5432}"]
    if parsed.username:
        args.append(f"--username={parsed.username}")
    args.append(f"--dbname={parsed.database}")
    return args


async def _run(command: list[str], url: str) -> None:
    env = dict(os.environ)
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = str(password)
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, error = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {error.decode()[-500:]}")
