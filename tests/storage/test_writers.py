"""Writers of one SQLite file: queued in the write gate inside a process, retried on the event
loop when another process holds the lock, and never blocking the loop while they wait."""

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.engine import create_engine, create_sessionmaker
from storage.inline_sqlite import inline_creator
from storage.write_gate import WriteGate, gate_for

pytestmark = pytest.mark.sqlite_only("the write gate and the inline SQLite driver")


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[tuple[str, AsyncEngine]]:
    path = str(tmp_path / "writers.db")
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE marks (who TEXT, at REAL)"))
    yield path, engine
    await engine.dispose()


async def _marks(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list((await session.execute(text("SELECT who FROM marks ORDER BY rowid"))).scalars())


async def _write(sessions: async_sessionmaker[AsyncSession], who: str, *,
                 hold: float = 0.0, read_first: bool = True) -> None:
    async with sessions() as session:
        if read_first:
            await session.execute(text("SELECT count(*) FROM marks"))
        await session.execute(text("INSERT INTO marks VALUES (:who, :at)"),
                              {"who": who, "at": time.monotonic()})
        await asyncio.sleep(hold)  # other work while the transaction is open
        await session.execute(text("INSERT INTO marks VALUES (:who, :at)"),
                              {"who": who, "at": time.monotonic()})
        await session.commit()


async def test_writers_of_one_process_take_turns(database: tuple[str, AsyncEngine]) -> None:
    """Two transactions that write while pausing in between do not interleave and both land."""
    _, engine = database
    sessions = create_sessionmaker(engine)
    await asyncio.gather(_write(sessions, "a", hold=0.05), _write(sessions, "b", hold=0.05))
    assert await _marks(sessions) in (["a", "a", "b", "b"], ["b", "b", "a", "a"])


async def test_many_writers_on_a_small_pool_do_not_deadlock(
        database: tuple[str, AsyncEngine]) -> None:
    """Writers queue for the gate holding their connection, so the gate's holder never waits
    for the pool: on a pool of 2, 30 writers (half of them reading first) all finish."""
    path, _ = database
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", pool_size=2, max_overflow=0,
                                 pool_timeout=5, async_creator=inline_creator(path))
    sessions = create_sessionmaker(engine)
    await asyncio.wait_for(asyncio.gather(*(
        _write(sessions, f"w{n}", hold=0.001, read_first=n % 2 == 0) for n in range(30))),
        timeout=20)
    assert len(await _marks(sessions)) == 60
    await engine.dispose()


async def test_a_writer_cancelled_in_the_queue_leaves_nothing_behind(
        database: tuple[str, AsyncEngine]) -> None:
    _, engine = database
    sessions = create_sessionmaker(engine)
    holder = asyncio.create_task(_write(sessions, "holder", hold=0.1))
    await asyncio.sleep(0.02)
    waiter = asyncio.create_task(_write(sessions, "cancelled"))
    await asyncio.sleep(0.02)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await holder
    await _write(sessions, "after")
    assert await _marks(sessions) == ["holder", "holder", "after", "after"]


async def test_another_process_lock_is_waited_for_on_the_loop(
        database: tuple[str, AsyncEngine]) -> None:
    """While a connection outside the process holds the write lock, a write waits without
    blocking the event loop, then lands once the lock is released."""
    path, engine = database
    sessions = create_sessionmaker(engine)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO marks VALUES ('other', 0)")
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
    started = time.monotonic()
    await _write(sessions, "mine")
    waited = time.monotonic() - started
    ticker.cancel()
    other.close()
    assert waited >= 0.25
    assert max(gaps) < 0.1, "the event loop was blocked while waiting for the lock"
    assert await _marks(sessions) == ["other", "mine", "mine"]


async def test_a_lock_held_too_long_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "held.db")
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}",
                                 async_creator=inline_creator(path, wait_seconds=0.2))
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE marks (who TEXT, at REAL)"))
    sessions = create_sessionmaker(engine)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError, match="database is locked"):
        await _write(sessions, "mine")
    other.execute("ROLLBACK")
    other.close()
    assert await _marks(sessions) == []
    assert not _gate_taken(path)
    await engine.dispose()


def _gate_taken(path: str) -> bool:
    return _gate(path).taken


def _gate(path: str) -> WriteGate:
    return gate_for(str(Path(path).resolve()))


async def test_quiet_waits_until_no_writer_is_queued(database: tuple[str, AsyncEngine]) -> None:
    """A background job asking for quiet waits while a writer queues, and goes on after it."""
    path, engine = database
    sessions = create_sessionmaker(engine)
    gate = _gate(path)
    order: list[str] = []
    holder = asyncio.create_task(_write(sessions, "holder", hold=0.2))
    await asyncio.sleep(0.01)
    queued = asyncio.create_task(_write(sessions, "queued"))
    await asyncio.sleep(0.01)
    assert gate.waiting == 1

    async def job() -> None:
        await gate.quiet()
        order.append("job")

    waiting_job = asyncio.create_task(job())
    await asyncio.sleep(0.05)
    assert not waiting_job.done()
    await asyncio.gather(holder, queued)
    await asyncio.wait_for(waiting_job, 1)
    assert gate.waiting == 0
    assert await _marks(sessions) == ["holder", "holder", "queued", "queued"]
    assert order == ["job"]
