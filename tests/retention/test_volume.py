"""The region generator (``anxin demo scale``) in bulk: rows, times and indexes as the app's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from benchmarks import volume
from devices.models import DeviceReading
from retention import service as retention_service
from seniors.models import Senior
from tests.retention.conftest import Store

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SIZE = volume.Volume(seniors=60, devices=25, days=2, reading_minutes=240)


async def index_names(store: Store, table: str) -> set[str]:
    async with store.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
        else:
            query = "SELECT indexname FROM pg_indexes WHERE tablename = :t"
        return set((await connection.execute(text(query), {"t": table})).scalars())


async def test_fill_writes_the_volume_with_readable_times_and_its_indexes(store: Store) -> None:
    """Bulk rows read back through the models; the indexes dropped for the load are back."""
    before = await index_names(store, "device_readings")
    written = await volume.fill(store.engine, SIZE, now=NOW)
    assert written["seniors"] == 60 and written["devices"] == 25
    slots = SIZE.days * 24 * 60 // SIZE.reading_minutes
    metrics = sum(len(volume._fleet_of(n)[2]) for n in range(1, 26))
    assert written["device_readings"] == metrics * slots
    assert await index_names(store, "device_readings") == before
    async with store.sessions() as session:
        first, last = (await session.execute(select(
            func.min(DeviceReading.measured_at), func.max(DeviceReading.measured_at)))).one()
        assert NOW - timedelta(days=2) <= first < last < NOW
        # The app's own inserts still get fresh ids after the explicit ones.
        session.add(Senior(name="新来的", resident_id="R99999999999999999",
                           birth_date=date(1950, 1, 1), sex="F", address="", district="东城区",
                           created_at=NOW, updated_at=NOW))
        await session.commit()
        assert await session.scalar(select(func.max(Senior.id))) == 61
        hour = await retention_service.roll_up_next_hour(session, until=NOW)
        await session.commit()
    assert hour is not None and hour == first.replace(minute=0, second=0, microsecond=0)


async def test_postgresql_readings_land_in_their_day_partitions(store: Store) -> None:
    """On PostgreSQL each generated day has its partition, so retention can drop whole days."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no partitions")
    await volume.fill(store.engine, SIZE, now=NOW)
    async with store.engine.connect() as connection:
        in_default = await connection.scalar(text("SELECT count(*) FROM device_readings_default"))
    assert in_default == 0


async def test_generated_seniors_devices_and_alarms_are_seen_by_their_areas_staff(
        store: Store) -> None:
    """Each generated senior, device and alarm carries a leaf area, so the region's staff see
    them all and one station's staff exactly that station's (a row with no area is seen by
    nobody scoped)."""
    from alarms.models import Alarm
    from areas.codes import REGION, prefix_of
    from devices.models import Device
    from runtime.scope import AreaScope, scoped

    await volume.fill(store.engine, SIZE, now=NOW)
    station = volume.LEAF_AREAS[0].code
    async with store.sessions() as session:
        for model, total in ((Senior, 60), (Device, 25), (Alarm, 60 * 2 // 50)):
            with scoped(AreaScope(frozenset({prefix_of(REGION)}))):
                assert await session.scalar(select(func.count()).select_from(model)) == total
            with scoped(AreaScope(frozenset({station}))):
                areas = set((await session.scalars(select(model.area_code))).all())
            # Two days of 60 seniors raise two alarms: their station may be another.
            assert areas == {station} or (model is Alarm and not areas), model
