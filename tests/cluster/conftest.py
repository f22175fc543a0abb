"""Fixtures for the cluster tests: "instances" as separate engines on one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import create_engine, create_sessionmaker
from storage.migrate import upgrade

Sessions = async_sessionmaker[AsyncSession]
OpenInstance = Callable[[], AbstractAsyncContextManager[tuple[AsyncEngine, Sessions]]]


@pytest.fixture
async def instance(postgres_url: str) -> OpenInstance:
    """Opens one engine on the test's PostgreSQL database (migrated) per call: one instance."""
    migrated = create_engine(postgres_url)
    await upgrade(migrated)
    await migrated.dispose()

    @asynccontextmanager
    async def open_one() -> AsyncIterator[tuple[AsyncEngine, Sessions]]:
        engine = create_engine(postgres_url)
        try:
            yield engine, create_sessionmaker(engine)
        finally:
            await engine.dispose()

    return open_one


async def until(condition: Callable[[], bool], within: float = 30.0) -> None:
    """Poll until the condition holds (leases and logs work on the wall clock)."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
