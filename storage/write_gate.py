"""One writing transaction at a time per SQLite file and process, queued on the event loop.

SQLite lets one connection write at a time. Left to itself, a second writer sleeps in SQLite's
busy handler, in steps of up to 100 ms, and does not wake when the lock frees; under load that
sleep is the whole latency tail. The gate queues writers in asyncio instead: a session takes it
just before its first write (an INSERT, UPDATE, DELETE or REPLACE, or a flush) and gives it back
when its transaction ends, which is exactly when SQLite would take and drop its write lock. A
waiter wakes the moment the gate frees, and a task cancelled while waiting has written nothing,
so nothing is left half-done. Writers hold their connection while they queue, so the gate's
holder never waits for the pool.

Reads are never gated (WAL readers do not block writers). The gate only orders the writers of
one process; another process's lock is waited for in storage/inline_sqlite.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.util import await_only

_GATE = "anxin.write_gate"
_HELD = "anxin.write_gate_held"
_WRITE_KEYWORDS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})


class WriteGateTimeout(RuntimeError):
    """The gate stayed taken for longer than the wait allowed (a transaction left open)."""


class WriteGate:
    """A first-come first-served lock for the writing transactions on one database file."""

    def __init__(self, wait_seconds: float = 30.0) -> None:
        self.wait_seconds = wait_seconds
        self._lock = asyncio.Lock()
        self._waiting = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @property
    def taken(self) -> bool:
        return self._lock.locked()

    @property
    def waiting(self) -> int:
        """Writers queued for the gate now (background jobs step aside while any are)."""
        return self._waiting

    async def quiet(self) -> None:
        """Return once no writer is queued for the gate."""
        await self._quiet.wait()

    async def acquire(self) -> None:
        self._waiting += 1
        self._quiet.clear()
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._lock.acquire()
        except TimeoutError:
            raise WriteGateTimeout(
                f"no database write possible for {self.wait_seconds:g} s: "
                "another transaction of this process holds the write gate") from None
        finally:
            self._waiting -= 1
            if not self._waiting:
                self._quiet.set()

    def release(self) -> None:
        self._lock.release()


_gates: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, WriteGate]] = WeakKeyDictionary()


def gate_for(database: str) -> WriteGate:
    """The one gate of the database file ``database`` on the running event loop (shared by
    every engine of this process that opens the same file)."""
    gates = _gates.setdefault(asyncio.get_running_loop(), {})
    gate = gates.get(database)
    if gate is None:
        gate = gates[database] = WriteGate()
    return gate


class GatedSession(Session):
    """A session that takes its database's write gate before writing (see the module text)."""


def gate_info(database: str) -> dict[str, Any]:
    """The ``info`` a sessionmaker passes to each session so that it finds its gate."""
    return {_GATE: str(Path(database).resolve())}


def gate_of(session: Session) -> WriteGate | None:
    """The write gate ``session`` queues on; None where there is none (PostgreSQL)."""
    database: str | None = session.info.get(_GATE)
    return gate_for(database) if database is not None else None


def _take(session: Session) -> None:
    database: str | None = session.info.get(_GATE)
    if database is None or session.info.get(_HELD):
        return
    # Hold a connection (and so a transaction, whose end gives the gate back) before queueing:
    # a writer that queued first and then waited for the pool could wait on the very sessions
    # queued behind it.
    session.connection()
    gate = gate_for(database)
    await_only(gate.acquire())
    session.info[_HELD] = gate


def _give_back(session: Session) -> None:
    gate: WriteGate | None = session.info.pop(_HELD, None)
    if gate is not None:
        gate.release()


def _is_write(state: ORMExecuteState) -> bool:
    if state.is_insert or state.is_update or state.is_delete:
        return True
    statement = state.statement
    if isinstance(statement, TextClause):
        words = statement.text.split(None, 1)
        return bool(words) and words[0].upper() in _WRITE_KEYWORDS
    return False


@event.listens_for(GatedSession, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    if _is_write(state):
        _take(state.session)


@event.listens_for(GatedSession, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    _take(session)


@event.listens_for(GatedSession, "after_transaction_end")
def _after_transaction(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        _give_back(session)
