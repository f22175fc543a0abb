"""Leases: one holder at a time, takeover after expiry, fencing, a holder that stops itself."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import make_url

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


async def test_one_holder_then_the_other_after_expiry(instance: OpenInstance) -> None:
    """While A's term runs B cannot take the lease; after it, B takes the next generation."""
    wall = Wall()
    async with instance() as (_, sessions_a), instance() as (_, sessions_b):
        a = Leases(sessions_a, holder="a", term_seconds=6, now=wall)
        b = Leases(sessions_b, holder="b", term_seconds=6, now=wall)
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


async def test_a_stalled_holder_cannot_write_after_the_taker(instance: OpenInstance) -> None:
    """A holder that woke from a stall finds its fenced write refused (generation moved on)."""
    wall = Wall()
    async with instance() as (_, sessions_a), instance() as (_, sessions_b):
        a = Leases(sessions_a, holder="a", term_seconds=6, now=wall)
        b = Leases(sessions_b, holder="b", term_seconds=6, now=wall)
        generation = await a.try_take("dispatch")
        assert generation is not None
        wall.at += timedelta(seconds=7)  # A stalls past its term
        assert await b.try_take("dispatch") == generation + 1
        token = _held.set(HeldLease("dispatch", "a", generation))  # as inside A's job
        try:
            async with sessions_a() as session:
                with pytest.raises(LeaseLost, match="dispatch"):
                    await a.fence(session)
        finally:
            _held.reset(token)


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
