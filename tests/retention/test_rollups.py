"""Retention: readings rolled up by hour and local day, then raw readings past the window go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import AuditEntry
from devices.models import DeviceReading
from retention import flows, partitions, service
from retention.models import ReadingRollup
from runtime.clock import ManualClock
from tests.retention.conftest import Store, add_readings, add_senior_with_watch

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
POLICY = flows.RetentionPolicy(raw_days=2, hourly_days=5, batch_rows=100, pause_factor=0)


async def _count(store: Store, query: object) -> int:
    async with store.sessions() as session:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


async def test_rollups_keep_min_mean_max_count_and_raw_goes_after_window(store: Store) -> None:
    """Hourly and daily roll-ups hold every reading; raw older than the window is deleted."""
    clock = ManualClock(NOW)
    device = await add_senior_with_watch(store, senior_id=1, now=NOW)
    start = NOW - timedelta(days=4)
    async with store.sessions() as session:
        made = await partitions.ensure_partitions(session, now=start)
        await session.commit()
    written = await add_readings(store, device_id=device, senior_id=1, start=start, hours=96)
    dropped = 0
    while True:
        report = await flows.retention_pass(store.sessions, policy=POLICY, clock=clock)
        dropped += report.partitions_dropped
        if not report.hours_rolled:
            break
    # PostgreSQL drops whole days (the two days wholly before the window), SQLite deletes.
    assert (len(made), dropped) == ((4, 2) if store.url.startswith("postgresql") else (0, 0))
    async with store.sessions() as session:
        hourly = await service.rollups(session, senior_id=1, resolution="hour", since=start,
                                       until=NOW)
        daily = await service.rollups(session, senior_id=1, resolution="day",
                                      since=start - timedelta(days=1), until=NOW)
    assert set(hourly) == {"heart_rate", "body_temperature"}
    # The last hour is rolled up only once ROLLUP_LAG has passed after it.
    assert len(hourly["heart_rate"]) == 95
    first = hourly["heart_rate"][0][1]
    assert (first.minimum, first.maximum, first.count, first.total) == (70, 73, 4, 286)
    assert sum(b.count for _, b in hourly["heart_rate"]) == written // 2 - 4
    # Local days (Asia/Shanghai): the full days inside the four days of readings.
    assert all(b.count == 96 for _, b in daily["heart_rate"][1:])
    remaining = await _count(store, select(func.count()).select_from(DeviceReading))
    oldest = await _count(store, select(func.count()).select_from(DeviceReading).where(
        DeviceReading.measured_at < NOW - timedelta(days=2)))
    assert oldest == 0 and remaining == 2 * 4 * 48


async def test_unrolled_readings_are_never_deleted(store: Store) -> None:
    """Readings older than the window but not rolled up yet stay until their hour is summed."""
    clock = ManualClock(NOW)
    device = await add_senior_with_watch(store, senior_id=2, now=NOW)
    written = await add_readings(store, device_id=device, senior_id=2,
                                 start=NOW - timedelta(days=4), hours=2)
    policy = flows.RetentionPolicy(raw_days=2, batch_rows=100, pause_factor=0)
    await flows._delete_expired(store.sessions, policy=policy, now=NOW,
                                report=flows.RetentionReport())
    assert await _count(store, select(func.count()).select_from(DeviceReading)) == written
    await flows.retention_pass(store.sessions, policy=policy, clock=clock)
    assert await _count(store, select(func.count()).select_from(DeviceReading)) == 0
    assert await _count(store, select(func.sum(ReadingRollup.count)).where(
        ReadingRollup.resolution == "hour")) == written


async def test_audit_kept_for_its_days_then_deleted(store: Store) -> None:
    """Audit entries older than ANXIN_AUDIT_DAYS go in batches; newer ones stay."""
    async with store.sessions() as session:
        for days in (10, 179, 181, 400):
            for _ in range(150):
                session.add(AuditEntry(at=NOW - timedelta(days=days), actor="a", action="x",
                                       subject_type="senior", subject_id="1", detail={}))
        await session.commit()
    report = await flows.retention_pass(store.sessions, policy=POLICY, clock=ManualClock(NOW))
    assert report.deleted["audit"] == 300
    assert await _count(store, select(func.count()).select_from(AuditEntry)) == 300


def _wal_frames(database: str) -> tuple[int, int]:
    """(frames in the write-ahead log, frames already copied into the database), from the
    WAL index header in the -shm file (sqlite.org/walformat.html: mxFrame, nBackfill)."""
    import struct
    from pathlib import Path

    header = Path(database + "-shm").read_bytes()[:136]
    (max_frame,) = struct.unpack_from("=I", header, 16)
    (backfilled,) = struct.unpack_from("=I", header, 96)
    return max_frame, backfilled


async def test_the_job_checkpoints_what_it_wrote_on_sqlite(store: Store) -> None:
    """After each batch the job copies its pages out of SQLite's write-ahead log itself,
    rather than leaving them to the next ingest commit that passes the automatic threshold."""
    from storage.engine import sqlite_file

    database = sqlite_file(store.url)
    if store.engine.dialect.name != "sqlite" or database is None:
        pytest.skip("PostgreSQL has no write-ahead log to checkpoint from the job")
    device = await add_senior_with_watch(store, senior_id=1, now=NOW)
    await add_readings(store, device_id=device, senior_id=1, start=NOW - timedelta(hours=30),
                       hours=28)
    report = await flows.retention_pass(store.sessions, policy=POLICY, clock=ManualClock(NOW))
    assert report.hours_rolled
    frames, copied = _wal_frames(str(database))
    assert frames and copied == frames, (frames, copied)
