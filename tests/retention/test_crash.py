"""A roll-up killed mid-way repeats its batch: nothing counted twice, no raw reading lost."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from devices.models import DeviceReading
from retention import service
from retention.models import ReadingRollup
from tests.retention.conftest import Store, add_readings, add_senior_with_watch


async def _totals(store: Store) -> tuple[int, int, datetime | None, int]:
    async with store.sessions() as session:
        rolled = await session.scalar(select(func.sum(ReadingRollup.count)).where(
            ReadingRollup.resolution == "hour"))
        raw = await session.scalar(select(func.count()).select_from(DeviceReading))
        until = await service.cursor(session, service.HOURLY)
        unrolled = await session.scalar(select(func.count()).select_from(DeviceReading).where(
            DeviceReading.measured_at >= until)) if until else raw
    return int(rolled or 0), int(raw or 0), until, int(unrolled or 0)


async def test_killed_rollup_repeats_the_batch(store: Store, tmp_path: Path) -> None:
    """SIGKILL after two hours are committed; afterwards and after a rerun, every reading is
    counted exactly once and none was deleted before its hour was rolled up."""
    now = datetime.now(UTC)
    device = await add_senior_with_watch(store, senior_id=5, now=now)
    written = await add_readings(store, device_id=device, senior_id=5,
                                 start=now - timedelta(days=40), hours=72, per_hour=6)
    env = {**os.environ, "ANXIN_DATABASE_URL": store.url, "ANXIN_READINGS_RAW_DAYS": "30",
           "ANXIN_RETENTION_PAUSE_FACTOR": "0",
           "ANXIN_DATA_DIR": str(tmp_path / "var")}
    command = [sys.executable, "-m", "dashboard", "retention", "run", "--verbose"]
    child = await asyncio.create_subprocess_exec(*command, env=env,
                                                 stdout=asyncio.subprocess.PIPE)
    assert child.stdout is not None
    for _ in range(2):
        assert (await child.stdout.readline()).startswith(b"hour ")
    child.send_signal(signal.SIGKILL)
    await child.wait()
    rolled, raw, until, unrolled = await _totals(store)
    assert until is not None and rolled > 0
    # Whatever was deleted had been rolled up; whatever was not rolled up is still there.
    assert rolled + unrolled == written and raw >= unrolled
    again = await asyncio.create_subprocess_exec(*command, env=env,
                                                 stdout=asyncio.subprocess.PIPE)
    out, _ = await again.communicate()
    assert again.returncode == 0 and b"rolled up" in out
    rolled, raw, until, unrolled = await _totals(store)
    assert rolled == written and raw == 0
