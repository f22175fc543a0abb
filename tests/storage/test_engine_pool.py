"""The PostgreSQL engine: a pool of asyncpg connections sized by the settings."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from config.settings import Settings
from storage.engine import create_engine, create_sessionmaker, settings_engine


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


async def test_a_transaction_on_postgres_sends_no_ping(postgres_url: str) -> None:
    """A pooled transaction is BEGIN, its statement and COMMIT: no pre-ping transaction
    (BEGIN, a statement, ROLLBACK: three more round trips) before it."""
    engine = create_engine(postgres_url)
    sent: list[str] = []

    def log_queries(connection: Any, _record: Any) -> None:
        connection.driver_connection.add_query_logger(lambda query: sent.append(query.query))

    event.listen(engine.sync_engine, "connect", log_queries)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:  # the pool's first connection: set-up queries
            await session.execute(text("SELECT 1"))
        sent.clear()
        async with sessions() as session:
            await session.execute(text("SELECT 2"))
            await session.commit()
        # asyncpg logs its simple queries (transaction control), not the prepared SELECT.
        assert [query.strip(" ;").upper() for query in sent] == ["BEGIN", "COMMIT"]
    finally:
        await engine.dispose()


async def test_a_connection_the_server_closed_is_replaced_at_checkout(postgres_url: str) -> None:
    """The server ends the pooled connection's backend; the next session gets a new
    connection and its statement works, with no error on the way."""
    engine = create_engine(postgres_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            backend = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(make_url(postgres_url).set(
            drivername="postgresql").render_as_string(hide_password=False))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", backend)
        finally:
            await admin.close()
        async with sessions() as session:
            again = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert again != backend
    finally:
        await engine.dispose()
