"""A migrated database of each kind (a SQLite file, a fresh PostgreSQL database)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import insert
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from devices.models import Device, DeviceReading
from seniors.models import Senior
from storage.engine import create_engine, create_sessionmaker
from storage.migrate import upgrade


@dataclass
class Store:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite file, or a fresh PostgreSQL database (dropped after the test)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'anxin.db'}"
        return
    server: URL = request.getfixturevalue("postgres_server")
    name = f"test_{secrets.token_hex(6)}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(server: URL, statement: str) -> None:
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await admin.dispose()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """The same schema on SQLite and on PostgreSQL."""
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield Store(database_url, engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()


async def add_senior_with_watch(store: Store, *, senior_id: int, now: datetime) -> str:
    device_id = f"watch-{senior_id}"
    async with store.sessions() as session:
        session.add(Senior(id=senior_id, name=f"老人{senior_id}", resident_id=f"R{senior_id:017d}",
                           birth_date=date(1940, 1, 1), sex="F", address="", district="东城区",
                           created_at=now, updated_at=now))
        await session.flush()
        session.add(Device(id=device_id, model="anxin-watch", kind="wearable",
                           senior_id=senior_id, heartbeat_seconds=60, grace_seconds=60,
                           mqtt_password_hash="x", created_at=now))
        await session.commit()
    return device_id


async def add_readings(store: Store, *, device_id: str, senior_id: int, start: datetime,
                       hours: int, per_hour: int = 4) -> int:
    """Heart rate and temperature every 60/per_hour minutes: 70..73 bpm, 36.5 °C."""
    rows = []
    for step in range(hours * per_hour):
        at = start + timedelta(minutes=step * 60 // per_hour)
        rows.append({"device_id": device_id, "senior_id": senior_id, "metric": "heart_rate",
                     "value": 70.0 + step % per_hour, "measured_at": at, "received_at": at})
        rows.append({"device_id": device_id, "senior_id": senior_id, "metric": "temperature",
                     "value": 36.5, "measured_at": at, "received_at": at})
    async with store.sessions() as session:
        await session.execute(insert(DeviceReading), rows)
        await session.commit()
    return len(rows)
