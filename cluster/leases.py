"""Cluster-wide jobs under leases: each runs on one instance at a time, and moves when it dies.

A lease is a row (name, holder, generation, expiry) rather than an advisory lock: it works the
same on SQLite and PostgreSQL, it survives a connection pool (an advisory lock belongs to one
connection, which a pool hands around), and its generation fences the job's writes. One
heartbeat per instance renews all its leases in one statement every sixth of the term and
looks for free ones; a holder that has not renewed for two thirds of the term stops its jobs
by itself, so it is gone before the lease expires and another instance may take
it (a stall, a lost database). Writes that would do harm twice (desk offers, dispatch timers)
call ``fence`` in their transaction: it locks the lease row and fails unless this instance
still holds this generation, so a holder that woke from a stall cannot write after a taker.

Lease time is wall-clock time (instances keep their clocks in step with NTP), not the app's
injected clock: it is about processes, not about the centre's day.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cluster.models import ClusterLease

log = logging.getLogger(__name__)
# Before any expiry: what a released lease's expiry is set to.
RELEASED = datetime(2000, 1, 1, tzinfo=UTC)


class LeaseLost(Exception):
    """This instance no longer holds the lease its job runs under."""


@dataclass(frozen=True, slots=True)
class HeldLease:
    name: str
    holder: str
    generation: int


# The lease the current task's job runs under (none for request handlers).
_held: contextvars.ContextVar[HeldLease | None] = contextvars.ContextVar("lease", default=None)


def instance_name() -> str:
    """Unique per process start: a restarted instance is a new holder."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def wall_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Leases:
    """This instance's side of the cluster's leases."""

    sessions: async_sessionmaker[AsyncSession]
    holder: str = field(default_factory=instance_name)
    term_seconds: float = 6.0
    now: Callable[[], datetime] = wall_now
    held: dict[str, int] = field(default_factory=dict)  # name -> generation, for /readyz
    elsewhere: set[str] = field(default_factory=set)  # last seen held by another instance
    _wanted: dict[str, _Claim] = field(default_factory=dict)
    _keeper: asyncio.Task[None] | None = None

    @property
    def renew_seconds(self) -> float:
        return self.term_seconds / 3

    async def try_take(self, name: str) -> int | None:
        """Take the lease if it is free, expired or this instance's own (after a stall: the
        new generation fences the old job out); its new generation, or None."""
        now = self.now()
        expires = now + timedelta(seconds=self.term_seconds)
        async with self.sessions() as session:
            generation = await session.scalar(
                update(ClusterLease)
                .where(ClusterLease.name == name, or_(ClusterLease.expires_at < now,
                                                      ClusterLease.holder == self.holder))
                .values(holder=self.holder, generation=ClusterLease.generation + 1,
                        expires_at=expires, taken_at=now)
                .returning(ClusterLease.generation))
            if generation is None:
                if await session.get(ClusterLease, name) is not None:
                    return None
                try:
                    await session.execute(insert(ClusterLease).values(
                        name=name, holder=self.holder, generation=1, expires_at=expires,
                        taken_at=now))
                except IntegrityError:  # another instance created it just now
                    return None
                generation = 1
            await session.commit()
        return int(generation)

    async def take_free(self, names: list[str]) -> dict[str, int]:
        """Take every one of ``names`` that is free, expired or this instance's own, in one
        transaction; the new generations of those taken."""
        now = self.now()
        expires = now + timedelta(seconds=self.term_seconds)
        async with self.sessions() as session:
            taken = {name: int(generation) for name, generation in (await session.execute(
                update(ClusterLease)
                .where(ClusterLease.name.in_(names), or_(ClusterLease.expires_at < now,
                                                          ClusterLease.holder == self.holder))
                .values(holder=self.holder, generation=ClusterLease.generation + 1,
                        expires_at=expires, taken_at=now)
                .returning(ClusterLease.name, ClusterLease.generation))).all()}
            known = set((await session.scalars(select(ClusterLease.name).where(
                ClusterLease.name.in_(names)))).all())
            for name in [name for name in names if name not in known]:
                try:
                    async with session.begin_nested():
                        session.add(ClusterLease(name=name, holder=self.holder, generation=1,
                                                 expires_at=expires, taken_at=now))
                    taken[name] = 1
                except IntegrityError:  # another instance created it just now
                    pass
            await session.commit()
        return taken

    async def renew(self, name: str, generation: int) -> bool:
        """Extend the term; False when the lease expired or changed hands."""
        now = self.now()
        async with self.sessions() as session:
            renewed = await session.scalar(
                update(ClusterLease).where(*self._still_ours(name, generation, now))
                .values(expires_at=now + timedelta(seconds=self.term_seconds))
                .returning(ClusterLease.generation))
            await session.commit()
        return renewed is not None

    async def release(self, name: str, generation: int) -> None:
        """Let another instance take the lease at once (a job that ended, a clean stop)."""
        async with self.sessions() as session:
            await session.execute(update(ClusterLease).where(
                ClusterLease.name == name, ClusterLease.holder == self.holder,
                ClusterLease.generation == generation).values(expires_at=RELEASED))
            await session.commit()

    def _still_ours(self, name: str, generation: int, now: datetime) -> list[Any]:
        return [ClusterLease.name == name, ClusterLease.holder == self.holder,
                ClusterLease.generation == generation, ClusterLease.expires_at > now]

    async def fence(self, session: AsyncSession) -> None:
        """Inside a job's transaction: lock the lease row, or raise LeaseLost if it is no
        longer this job's. Outside a job (a request handler) there is nothing to fence."""
        lease = _held.get()
        if lease is None:
            return
        # An UPDATE, not a SELECT: it holds the row until this transaction ends, so a taker's
        # UPDATE waits for it (PostgreSQL; SQLite has one writer anyway).
        touched = await session.scalar(
            update(ClusterLease).where(*self._still_ours(lease.name, lease.generation,
                                                         self.now()))
            .values(holder=lease.holder).returning(ClusterLease.generation))
        if touched is None:
            raise LeaseLost(f"lease {lease.name} generation {lease.generation} is gone")

    async def renew_all(self) -> set[str]:
        """One statement for every lease this instance holds; the names still ours."""
        now = self.now()
        async with self.sessions() as session:
            rows = (await session.execute(
                update(ClusterLease)
                .where(ClusterLease.holder == self.holder, ClusterLease.expires_at > now,
                       ClusterLease.name.in_(list(self.held)))
                .values(expires_at=now + timedelta(seconds=self.term_seconds))
                .returning(ClusterLease.name, ClusterLease.generation))).all()
            await session.commit()
        return {name for name, generation in rows if self.held.get(name) == generation}

    async def hold(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """Wait for the lease, run the job while holding it; when it is lost, stop the job and
        wait again. Returns when the job returns."""
        claim = _Claim()
        self._wanted[name] = claim
        self._start_keeper()
        try:
            while True:
                await claim.granted.wait()
                generation = self.held.get(name)
                if generation is None:  # lost again before this task woke
                    claim.granted.clear()
                    continue
                if await self._run_held(name, generation, claim, job):
                    return
        finally:
            del self._wanted[name]
            if not self._wanted and self._keeper is not None:
                self._keeper.cancel()
            generation = self.held.pop(name, None)
            if generation is not None:  # the app is stopping: hand the lease on at once
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.release(name, generation))

    def _start_keeper(self) -> None:
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._keep(), name="lease-keeper")

    async def _run_held(self, name: str, generation: int, claim: _Claim,
                        job: Callable[[], Awaitable[None]]) -> bool:
        """True when the job finished by itself; False when the lease was lost."""
        token = _held.set(HeldLease(name, self.holder, generation))
        job_task = asyncio.ensure_future(job())
        _held.reset(token)
        lost = asyncio.ensure_future(claim.lost.wait())
        try:
            done, _ = await asyncio.wait((job_task, lost), return_when=asyncio.FIRST_COMPLETED)
        finally:
            await _stop(job_task, lost)
        fenced_out = job_task in done and isinstance(job_task.exception(), LeaseLost)
        if lost in done or fenced_out:
            if self.held.get(name) == generation:  # not a newer grant made meanwhile
                self._revoke(name)
            log.warning("lease %s: lost (generation %d); job stopped", name, generation)
            return False
        job_task.result()  # a crash goes up to the supervisor, which restarts the job
        return True

    def _grant(self, name: str, generation: int) -> None:
        claim = self._wanted.get(name)
        if claim is None:
            return
        self.held[name] = generation
        self.elsewhere.discard(name)
        claim.lost.clear()
        claim.granted.set()
        log.info("lease %s: taken (generation %d) by %s", name, generation, self.holder)

    def _revoke(self, name: str) -> None:
        self.held.pop(name, None)
        claim = self._wanted.get(name)
        if claim is not None:
            claim.granted.clear()
            claim.lost.set()

    async def _keep(self) -> None:
        """This instance's one heartbeat: renew what it holds (one statement), stop every job
        once renewing has failed for two thirds of the term, take what it wants and is free.
        A term runs from when its statement was sent, not from the answer."""
        margin = self.term_seconds * 2 / 3
        deadline = time.monotonic() + margin
        while self._wanted:
            sent = time.monotonic()
            try:
                if self.held:
                    ours = await asyncio.wait_for(self.renew_all(),
                                                  timeout=max(deadline - sent, 0.01))
                    for name in set(self.held) - ours:
                        self._revoke(name)
                deadline = sent + margin
                if not self.held:
                    deadline = time.monotonic() + margin  # before the first take below
                await self._take_free()
            except Exception as error:  # the database is away: stand by, try again
                log.warning("leases: cannot reach the database (%s)", type(error).__name__)
            if self.held and time.monotonic() >= deadline:
                for name in list(self.held):
                    self._revoke(name)
            # Renewing twice a third of the term leaves a slow database (a loaded machine)
            # several tries before the holder must stop.
            pause = self.renew_seconds / 2
            await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic()))
                                if self.held else pause)

    async def _take_free(self) -> None:
        wanted = [name for name in self._wanted if name not in self.held]
        if not wanted:
            return
        taken = await self.take_free(wanted)
        self.elsewhere |= set(wanted) - set(taken)
        for name, generation in taken.items():
            self._grant(name, generation)


@dataclass
class _Claim:
    """A job's wish for a lease: set ``granted`` when taken, ``lost`` when it must stop."""

    granted: asyncio.Event = field(default_factory=asyncio.Event)
    lost: asyncio.Event = field(default_factory=asyncio.Event)


async def _stop(*tasks: asyncio.Future[Any]) -> None:
    """Cancel the tasks and wait for each to end, swallowing how they ended but not a
    cancellation of the caller itself: swallowed, an app stopping while a lease was being lost
    went back to waiting for the lease, took it again and never finished its shutdown."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        try:
            with contextlib.suppress(Exception):  # the caller reads a crash from the task
                await task
        except asyncio.CancelledError:
            me = asyncio.current_task()
            if me is not None and me.cancelling():
                raise
