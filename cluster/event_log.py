"""The live feed's event log in the database, and the wake-up that tells instances to read it.

The table is the source of truth: every instance reads it in ``id`` order, so all show one
order and a reader that was away misses nothing. On PostgreSQL an append takes a transaction
advisory lock first, so ids become visible in the order they were drawn (a reader never skips
an id that commits late), and sends ``NOTIFY`` in the same transaction; every instance LISTENs
on a connection of its own. On SQLite (one instance) the bus wakes its own reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from cluster.models import BusEpoch, BusLogEntry
from runtime.bus import BusEvent, PendingEvent

CHANNEL = "anxin_bus"
APPEND_LOCK = 0x616E78696E  # any constant: the advisory lock all appends take in turn


@dataclass
class StoredEventLog:
    """The ``EventLog`` of runtime/bus.py on this app's database."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    origin: str

    @property
    def on_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def epoch(self) -> str:
        """The log's name, made by the first instance that asks."""
        async with self.sessions() as session:
            known = await session.scalar(select(BusEpoch.epoch))
            if known is not None:
                return str(known)
            session.add(BusEpoch(epoch=secrets.token_hex(6)))
            try:
                await session.commit()
            except IntegrityError:  # another instance made it first
                await session.rollback()
        async with self.sessions() as session:
            made = await session.scalar(select(BusEpoch.epoch))
        assert made is not None
        return str(made)

    async def append(self, events: Sequence[PendingEvent]) -> None:
        async with self.sessions() as session:
            if self.on_postgres:  # the NOTIFY goes out at the commit, after the insert
                await session.execute(text("SELECT pg_advisory_xact_lock(:key), "
                                           "pg_notify(:channel, '')"),
                                      {"key": APPEND_LOCK, "channel": CHANNEL})
            await session.execute(insert(BusLogEntry), [
                {"topic": event.topic, "data": event.data, "roles": sorted(event.roles),
                 "at": event.at, "origin": self.origin, "area_code": event.area}
                for event in events])
            await session.commit()

    async def after(self, seq: int, limit: int) -> list[BusEvent]:
        query = (select(BusLogEntry.id, BusLogEntry.topic, BusLogEntry.data, BusLogEntry.at,
                        BusLogEntry.roles, BusLogEntry.area_code)
                 .where(BusLogEntry.id > seq).order_by(BusLogEntry.id).limit(limit))
        async with self._reading() as connection:
            rows = (await connection.execute(query)).all()
        return [BusEvent(row.id, row.topic, row.data, row.at, frozenset(row.roles),
                         row.area_code) for row in rows]

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one read. On PostgreSQL outside a transaction: every instance
        reads after every append it hears of, and a BEGIN and ROLLBACK around each read were
        two of its three round trips."""
        async with self.engine.connect() as connection:
            if self.on_postgres:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    async def last_seq(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.max(BusLogEntry.id))) or 0)

    async def first_seq(self) -> int | None:
        async with self.sessions() as session:
            first = await session.scalar(select(func.min(BusLogEntry.id)))
            return None if first is None else int(first)

    async def listen(self, woken: asyncio.Event) -> None:
        """PostgreSQL: LISTEN on a dedicated connection until it breaks. SQLite: nothing to
        hear (one instance), so wait forever."""
        if not self.on_postgres:
            await asyncio.Event().wait()
            return
        url = self.engine.url.set(drivername="postgresql")
        connection = await asyncpg.connect(url.render_as_string(hide_password=False))
        lost = asyncio.Event()
        try:
            await connection.add_listener(CHANNEL, lambda *_: woken.set())
            connection.add_termination_listener(lambda _: lost.set())
            woken.set()  # what was appended before the listener started
            while not lost.is_set():
                with _quietly():
                    await asyncio.wait_for(lost.wait(), timeout=10.0)
                if not lost.is_set():
                    await connection.execute("SELECT 1")  # a dead server shows up here
        finally:
            await _close(connection)


async def prune(sessions: async_sessionmaker[AsyncSession], *, before: datetime, keep: int,
                batch: int = 1_000) -> int:
    """Delete up to ``batch`` rows older than ``before``, always keeping the last ``keep``;
    returns how many went (small slices, so a writer never waits long)."""
    async with sessions() as session:
        newest = int(await session.scalar(select(func.max(BusLogEntry.id))) or 0)
        last = await session.scalar(
            select(func.max(BusLogEntry.id)).where(BusLogEntry.id.in_(
                select(BusLogEntry.id).where(BusLogEntry.at < before,
                                             BusLogEntry.id <= newest - keep)
                .order_by(BusLogEntry.id).limit(batch))))
        if last is None:
            return 0
        gone = await session.execute(delete(BusLogEntry).where(BusLogEntry.id <= last))
        await session.commit()
        return int(getattr(gone, "rowcount", 0) or 0)


def _quietly() -> contextlib.AbstractContextManager[None]:
    return contextlib.suppress(TimeoutError)


async def _close(connection: asyncpg.Connection) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(connection.close(), timeout=2.0)
