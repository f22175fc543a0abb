"""Leases: one holder at a time, takeover after expiry, fencing, a holder that stops itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cluster.leases import HeldLease, LeaseLost, Leases, _held
from storage.engine import create_engine, create_sessionmaker
from tests.cluster.conftest import OpenInstance, until
from tests.cluster.proxy import Relay


class Wall:
    """A wall clock the test moves by hand (lease time is wall time)."""

    def __init__(self) -> None:
        self.at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


@dataclass
class TwoInstances:
    a: Leases
    b: Leases
    sessions_a: async_sessionmaker[AsyncSession]
    wall: Wall


@pytest.fixture
async def two(instance: OpenInstance) -> AsyncIterator[TwoInstances]:
    """Instances A and B on one database, their lease time on one hand-moved wall clock."""
    wall = Wall()
    async with instance() as (_, sessions_a), instance() as (_, sessions_b):
        yield TwoInstances(Leases(sessions_a, holder="a", term_seconds=6, now=wall),
                           Leases(sessions_b, holder="b", term_seconds=6, now=wall),
                           sessions_a, wall)


async def test_one_holder_then_the_other_after_expiry(two: TwoInstances) -> None:
    """While A's term runs B cannot take the lease; after it, B takes the next generation."""
    a, b, wall = two.a, two.b, two.wall
    first = await a.try_take("desk")
    assert await b.try_take("desk") is None
    wall.at += timedelta(seconds=5)
    assert await a.renew("desk", first or 0)
    wall.at += timedelta(seconds=5)
    assert await b.try_take("desk") is None  # renewed: still A's
    wall.at += timedelta(seconds=2)
    second = await b.try_take("desk")
    assert not await a.renew("desk", first or 0)
    assert (first, second) == (1, 2)


async def test_a_stalled_holder_cannot_write_after_the_taker(two: TwoInstances) -> None:
    """A holder that woke from a stall finds its fenced write refused (generation moved on)."""
    generation = await two.a.try_take("dispatch")
    assert generation is not None
    two.wall.at += timedelta(seconds=7)  # A stalls past its term
    assert await two.b.try_take("dispatch") == generation + 1
    token = _held.set(HeldLease("dispatch", "a", generation))  # as inside A's job
    try:
        async with two.sessions_a() as session:
            with pytest.raises(LeaseLost, match="dispatch"):
                await two.a.fence(session)
    finally:
        _held.reset(token)


async def test_an_instance_takes_its_own_lease_back_with_a_new_generation(
        two: TwoInstances) -> None:
    """After its jobs stopped (a stall), the holder need not wait out its own term; the new
    generation fences the old job, and B still cannot take it."""
    first = await two.a.try_take("feed")
    again = await two.a.try_take("feed")
    assert (first, again) == (1, 2)
    assert await two.b.try_take("feed") is None
    assert not await two.a.renew("feed", 1) and await two.a.renew("feed", 2)


async def test_a_holder_that_loses_its_database_stops_and_the_other_takes_over(
        instance: OpenInstance, postgres_url: str) -> None:
    """Two instances hold() the same job: one runs it; when its database connection is cut
    it stops its job by itself, and only then does the other instance's job start."""
    running: list[str] = []
    stopped: list[str] = []

    def job(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            running.append(f"{name} after {stopped}")
            try:
                await asyncio.Event().wait()
            finally:
                stopped.append(name)
        return run

    url = make_url(postgres_url)
    relay = Relay(target_port=url.port or 5432)
    await relay.start()
    relayed = create_engine(url.set(port=relay.port).render_as_string(hide_password=False))
    try:
        async with instance() as (_, sessions_b):
            a = Leases(create_sessionmaker(relayed), holder="a", term_seconds=1.5)
            b = Leases(sessions_b, holder="b", term_seconds=1.5)
            holding_a = asyncio.create_task(a.hold("feed", job("a")))
            await until(lambda: running == ["a after []"])
            holding_b = asyncio.create_task(b.hold("feed", job("b")))
            await relay.cut()
            await until(lambda: len(running) == 2)
            assert running[1] == "b after ['a']"  # A had stopped when B started
            assert b.held == {"feed": 2} and a.held == {}
            for task in (holding_a, holding_b):
                task.cancel()
            await asyncio.gather(holding_a, holding_b, return_exceptions=True)
    finally:
        await relay.cut()
        await relayed.dispose()


async def test_a_holder_stopped_while_its_lease_is_being_lost_stops(instance: OpenInstance
                                                                     ) -> None:
    """The app stops a job's holder while the holder is stopping the job because its lease
    ran out: the holder ends (cancelled), instead of swallowing its own cancellation, taking
    the lease again and keeping the app's shutdown waiting for ever."""
    wall = Wall()
    started, stopping, let_go = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def job() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopping.set()
            await let_go.wait()  # a job that takes a moment to stop
            raise

    async with instance() as (_, sessions):
        leases = Leases(sessions, holder="a", term_seconds=6, now=wall)
        holder = asyncio.create_task(leases.hold("desk", job))
        await asyncio.wait_for(started.wait(), 30)
        wall.at += timedelta(seconds=7)  # the term ran out: the next renewal loses the lease
        await asyncio.wait_for(stopping.wait(), 30)
        holder.cancel()
        let_go.set()
        done, _ = await asyncio.wait({holder}, timeout=10)
        assert holder in done and holder.cancelled()
