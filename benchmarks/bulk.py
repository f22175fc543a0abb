"""Bulk loading for the generator: COPY on PostgreSQL, large executemany batches on SQLite.

A table that is empty when its load starts loses its secondary indexes for the load and gets
them back, built once from sorted data, at the end: keeping an index current row by row costs
a random B-tree write per row and per index, and on the readings that was most of the time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Any

from sqlalchemy import JSON, Column, Integer, Table, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

SQLITE_BATCH = 50_000
COPY_BATCH = 100_000
# Rows per transaction on SQLite: large enough that commits cost nothing, small enough that
# the WAL is checkpointed now and then instead of growing to the size of the table.
SQLITE_COMMIT_ROWS = 1_000_000
Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class Load:
    """Rows for one table, as tuples in ``columns`` order.

    ``wire`` rows are already what the driver takes (the readings format their own times,
    once per time slot instead of once per row); other rows go through the column types.
    """

    table: Table
    columns: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]
    wire: bool = False


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _converter(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    if dialect.name == "postgresql":
        # COPY takes Python values as asyncpg encodes them; JSON goes as its text.
        return json.dumps if isinstance(column.type, JSON) else None
    converted: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(
        dialect)
    return converted


def _wire_rows(load: Load, dialect: Dialect) -> Iterable[tuple[Any, ...]]:
    if load.wire:
        return load.rows
    converters = [_converter(load.table.c[name], dialect) for name in load.columns]
    if not any(converters):
        return load.rows
    return (tuple(value if convert is None or value is None else convert(value)
                  for convert, value in zip(converters, row, strict=True))
            for row in load.rows)


async def _is_empty(connection: AsyncConnection, table: Table) -> bool:
    found = await connection.execute(text(f'SELECT 1 FROM "{table.name}" LIMIT 1'))
    return found.first() is None


async def _drop_indexes(connection: AsyncConnection, table: Table) -> None:
    for index in table.indexes:
        await connection.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))


async def _create_indexes(connection: AsyncConnection, table: Table) -> None:
    for index in table.indexes:
        await connection.run_sync(partial(index.create, checkfirst=True))


async def _insert_sqlite(connection: AsyncConnection, load: Load, progress: Progress) -> int:
    marks = ", ".join("?" for _ in load.columns)
    names = ", ".join(f'"{name}"' for name in load.columns)
    sql = f'INSERT INTO "{load.table.name}" ({names}) VALUES ({marks})'
    count = 0
    for batch in _chunks(_wire_rows(load, connection.dialect), SQLITE_BATCH):
        await connection.exec_driver_sql(sql, batch)
        count += len(batch)
        if count % SQLITE_COMMIT_ROWS < len(batch):
            await connection.commit()
        progress(load.table.name, len(batch))
    return count


async def _copy_postgresql(connection: AsyncConnection, load: Load, progress: Progress) -> int:
    raw = (await connection.get_raw_connection()).driver_connection
    count = 0
    for batch in _chunks(_wire_rows(load, connection.dialect), COPY_BATCH):
        await raw.copy_records_to_table(  # type: ignore[union-attr]
            load.table.name, records=batch, columns=list(load.columns))
        count += len(batch)
        progress(load.table.name, len(batch))
    if "id" in load.columns and isinstance(load.table.c.id.type, Integer):
        # Explicit ids bypass the sequence: move it past them, or the app's first insert
        # would collide.
        await connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{load.table.name}', 'id'), "
            f'(SELECT max(id) FROM "{load.table.name}"))'))
    return count


async def _tune(connection: AsyncConnection) -> None:
    if connection.dialect.name == "sqlite":
        # A large page cache and sorter threads make the index builds at the end fast.
        await connection.exec_driver_sql("PRAGMA cache_size=-400000")
        await connection.exec_driver_sql("PRAGMA threads=2")
    else:
        await connection.execute(text("SET synchronous_commit = off"))
        await connection.execute(text("SET maintenance_work_mem = '256MB'"))


async def load_all(engine: AsyncEngine, loads: Iterable[Load], *,
                   progress: Progress) -> dict[str, int]:
    """Write every load in order; rows written per table."""
    written: dict[str, int] = {}
    async with engine.connect() as connection:
        await _tune(connection)
        await connection.commit()
        for load in loads:
            fresh = await _is_empty(connection, load.table)
            if fresh:
                await _drop_indexes(connection, load.table)
            insert = (_copy_postgresql if connection.dialect.name == "postgresql"
                      else _insert_sqlite)
            written[load.table.name] = await insert(connection, load, progress)
            if fresh:
                await _create_indexes(connection, load.table)
            await connection.commit()
        await _analyze(connection)
    return written


async def _analyze(connection: AsyncConnection) -> None:
    """Planner statistics for the new volume (a sample on SQLite, so it takes seconds)."""
    if connection.dialect.name == "sqlite":
        await connection.exec_driver_sql("PRAGMA analysis_limit=2000")
    await connection.execute(text("ANALYZE"))
    await connection.commit()
