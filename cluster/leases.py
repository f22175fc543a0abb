"""Cluster-wide jobs under leases: each runs on one instance at a time, and moves when it dies.

A lease is a row (name, holder, generation, expiry) rather than an advisory lock: it works the
same on SQLite and PostgreSQL, it survives a connection pool (an advisory lock belongs to one
connection, which a pool hands around), and its generation fences the job's writes. The holder
renews it every third of its term; a holder that has not renewed for two thirds of the term
stops its job by itself, so it is gone before the lease expires and another instance may take
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

from sqlalchemy import insert, update
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

    @property
    def renew_seconds(self) -> float:
        return self.term_seconds / 3

    async def try_take(self, name: str) -> int | None:
        """Take the lease if it is free or expired; its new generation, or None."""
        now = self.now()
        expires = now + timedelta(seconds=self.term_seconds)
        async with self.sessions() as session:
            generation = await session.scalar(
                update(ClusterLease)
                .where(ClusterLease.name == name, ClusterLease.expires_at < now)
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

    async def hold(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """Wait for the lease, run the job while holding it; when it is lost, stop the job and
        wait again. Returns when the job returns."""
        announced_wait = False
        while True:
            generation = await self._take_or_none(name)
            if generation is None:
                self.elsewhere.add(name)
                if not announced_wait:
                    log.info("lease %s: held elsewhere; standing by", name)
                    announced_wait = True
                await asyncio.sleep(self.renew_seconds / 2)
                continue
            announced_wait = False
            self.elsewhere.discard(name)
            log.info("lease %s: taken (generation %d) by %s", name, generation, self.holder)
            if await self._run_held(name, generation, job):
                return

    async def _take_or_none(self, name: str) -> int | None:
        try:
            return await self.try_take(name)
        except Exception as error:  # the database is away: stand by, try again
            log.warning("lease %s: cannot reach the database (%s)", name, type(error).__name__)
            return None

    async def _run_held(self, name: str, generation: int,
                        job: Callable[[], Awaitable[None]]) -> bool:
        """True when the job finished by itself; False when the lease was lost."""
        token = _held.set(HeldLease(name, self.holder, generation))
        self.held[name] = generation
        job_task = asyncio.ensure_future(job())
        keeper = asyncio.ensure_future(self._keep(name, generation))
        _held.reset(token)
        try:
            done, _ = await asyncio.wait((job_task, keeper),
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the app is stopping: hand the lease on at once
            await _stop(job_task, keeper)
            with contextlib.suppress(Exception):
                await asyncio.shield(self.release(name, generation))
            raise
        finally:
            self.held.pop(name, None)
        await _stop(job_task, keeper)
        if keeper in done or isinstance(job_task.exception(), LeaseLost):
            log.warning("lease %s: lost (generation %d); job stopped", name, generation)
            return False
        with contextlib.suppress(Exception):
            await self.release(name, generation)
        job_task.result()  # a crash goes up to the supervisor, which restarts the job
        return True

    async def _keep(self, name: str, generation: int) -> None:
        """Renew until renewing fails or has not succeeded for two thirds of the term."""
        deadline = time.monotonic() + self.term_seconds * 2 / 3
        while True:
            await asyncio.sleep(max(0.0, min(self.renew_seconds, deadline - time.monotonic())))
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                if not await asyncio.wait_for(self.renew(name, generation), timeout=left):
                    return
                deadline = time.monotonic() + self.term_seconds * 2 / 3
            except Exception as error:
                log.warning("lease %s: renewal failed (%s)", name, type(error).__name__)


async def _stop(*tasks: asyncio.Future[None]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
