"""The PostgreSQL engine: a pool of asyncpg connections sized by the settings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from config.settings import Settings
from storage.engine import create_sessionmaker, settings_engine


async def test_the_pool_holds_as_many_connections_as_the_settings_allow(
        postgres_url: str, tmp_path: Path) -> None:
    """Pool size 2 and no overflow: two sessions hold connections, a third waits for one."""
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, database_pool_size=2,
                        database_max_overflow=0)
    engine = settings_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as first, sessions() as second:
            for session in (first, second):
                await session.execute(text("SELECT 1"))
            async with sessions() as third:
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(third.execute(text("SELECT 1")), 1.0)
        async with sessions() as again:  # the connections went back to the pool
            assert (await again.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
