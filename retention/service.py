"""Roll-ups and deletions, one small batch per call; the caller's transaction commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, String, case, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from alarms.rules import LOCATION_METRICS, METRIC_BY_DEVICE_KIND
from devices.models import Device, DeviceReading
from retention.models import ReadingRollup, RollupCursor
from storage.types import UTCDateTime

HOUR = timedelta(hours=1)
HOURLY = "hour"
DAILY = "day"


@dataclass(frozen=True, slots=True)
class Bucket:
    """One aggregate: the sums a roll-up row keeps."""

    minimum: float
    maximum: float
    total: float
    count: int


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def local_day_start(at: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of local midnight of the day holding ``at``."""
    return datetime.combine(at.astimezone(zone).date(), time(0), zone).astimezone(UTC)


def next_local_day(start: datetime, zone: ZoneInfo) -> datetime:
    local = start.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(local, time(0), zone).astimezone(UTC)


async def cursor(session: AsyncSession, resolution: str) -> datetime | None:
    """Where the roll-ups of ``resolution`` have got to; None before the first."""
    row = await session.get(RollupCursor, resolution)
    return row.rolled_until if row else None


async def _move_cursor(session: AsyncSession, resolution: str, to: datetime) -> None:
    row = await session.get(RollupCursor, resolution)
    if row is None:
        session.add(RollupCursor(resolution=resolution, rolled_until=to))
    else:
        row.rolled_until = to


async def _first_reading(session: AsyncSession) -> datetime | None:
    first: datetime | None = await session.scalar(select(func.min(DeviceReading.measured_at)))
    return first


async def roll_up_next_hour(session: AsyncSession, *, until: datetime) -> datetime | None:
    """Roll up the hour after the cursor if it ended before ``until``; its start, or None.

    The roll-up rows and the cursor move in one transaction, so a crash repeats the hour.
    """
    start = await cursor(session, HOURLY)
    if start is None:
        first = await _first_reading(session)
        if first is None:
            return None
        start = floor_hour(first)
    if start + HOUR > until:
        return None
    await session.execute(delete(ReadingRollup).where(ReadingRollup.resolution == HOURLY,
                                                      ReadingRollup.bucket_start == start))
    rolled = await session.execute(insert(ReadingRollup).from_select(
        ROLLUP_COLUMNS, _hour_summary(start)))
    written = int(getattr(rolled, "rowcount", 0) or 0)
    await _move_cursor(session, HOURLY, await _next_hour_with_readings(
        session, after=start + HOUR, until=until) if not written else start + HOUR)
    return start


ROLLUP_COLUMNS = ("senior_id", "metric", "resolution", "bucket_start", "minimum", "maximum",
                  "total", "count")


def _hour_summary(start: datetime) -> Select[Any]:
    """The hour's roll-up rows, computed where the readings are.

    The readings of the hour are summed per device and metric first, found by the
    measured_at index, and only those sums meet the devices table: joined directly, SQLite
    chose to walk every device and probe its readings (0.5 s for an hour of 10,000 devices),
    and fetching the groups into Python to rename metrics and insert them back cost as much
    again (the 0.3–0.6 s for 900 readings). One INSERT … SELECT keeps the rows inside the
    database.
    """
    per_device = (
        select(DeviceReading.senior_id, DeviceReading.device_id, DeviceReading.metric,
               func.min(DeviceReading.value).label("low"),
               func.max(DeviceReading.value).label("high"),
               func.sum(DeviceReading.value).label("total"), func.count().label("n"))
        .where(DeviceReading.measured_at >= start, DeviceReading.measured_at < start + HOUR)
        # With sampled statistics SQLite preferred a skip-scan of the (senior, time) index,
        # every senior probed for the hour; the time index reads just the hour.
        .with_hint(DeviceReading, "INDEXED BY ix_device_readings_measured_at", "sqlite")
        .group_by(DeviceReading.device_id, DeviceReading.metric, DeviceReading.senior_id)
        .subquery())
    chart_metric = case(*[((Device.kind == kind) & (per_device.c.metric == metric), chart)
                          for (kind, metric), chart in METRIC_BY_DEVICE_KIND.items()],
                        else_=per_device.c.metric)
    return (select(per_device.c.senior_id, chart_metric, literal(HOURLY, String),
                   literal(start, UTCDateTime), func.min(per_device.c.low),
                   func.max(per_device.c.high), func.sum(per_device.c.total),
                   func.sum(per_device.c.n))
            .join(Device, Device.id == per_device.c.device_id)
            .where(per_device.c.senior_id.is_not(None),
                   per_device.c.metric.not_in(LOCATION_METRICS))
            .group_by(per_device.c.senior_id, chart_metric))


async def _next_hour_with_readings(session: AsyncSession, *, after: datetime,
                                   until: datetime) -> datetime:
    """Skip a gap in one step rather than an empty transaction per hour."""
    following: datetime | None = await session.scalar(
        select(func.min(DeviceReading.measured_at)).where(DeviceReading.measured_at >= after))
    last = max(after, floor_hour(until))
    return min(floor_hour(following), last) if following else last


async def roll_up_next_day(session: AsyncSession, *, zone: ZoneInfo) -> datetime | None:
    """Sum the hourly roll-ups of the local day after the daily cursor, once hours cover it."""
    hourly = await cursor(session, HOURLY)
    start = await cursor(session, DAILY)
    if start is None:
        first: datetime | None = await session.scalar(
            select(func.min(ReadingRollup.bucket_start))
            .where(ReadingRollup.resolution == HOURLY))
        if first is None:
            return None
        start = local_day_start(first, zone)
    end = next_local_day(start, zone)
    if hourly is None or end > hourly:
        return None
    await session.execute(delete(ReadingRollup).where(ReadingRollup.resolution == DAILY,
                                                      ReadingRollup.bucket_start == start))
    # Summed where the hourly rows are, like the hour (see _hour_summary), through the
    # (resolution, bucket) index: the day's hours are contiguous there.
    await session.execute(insert(ReadingRollup).from_select(ROLLUP_COLUMNS, (
        select(ReadingRollup.senior_id, ReadingRollup.metric, literal(DAILY, String),
               literal(start, UTCDateTime), func.min(ReadingRollup.minimum),
               func.max(ReadingRollup.maximum), func.sum(ReadingRollup.total),
               func.sum(ReadingRollup.count))
        .where(ReadingRollup.resolution == HOURLY, ReadingRollup.bucket_start >= start,
               ReadingRollup.bucket_start < end)
        .with_hint(ReadingRollup, "INDEXED BY ix_reading_rollups_resolution_bucket", "sqlite")
        .group_by(ReadingRollup.senior_id, ReadingRollup.metric))))
    await _move_cursor(session, DAILY, end)
    return start


async def delete_batch(session: AsyncSession, model: Any, condition: ColumnElement[bool], *,
                       limit: int) -> int:
    """Delete up to ``limit`` rows of ``model`` matching ``condition``; how many went."""
    ids = select(model.id).where(condition).limit(limit).scalar_subquery()
    result = await session.execute(delete(model).where(model.id.in_(ids))
                                   .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def rollups(session: AsyncSession, *, senior_id: int, resolution: str, since: datetime,
                  until: datetime) -> dict[str, list[tuple[datetime, Bucket]]]:
    """A senior's roll-ups of one resolution in [since, until), by metric, oldest first.

    Read in the order of the (senior, resolution, bucket, metric) index, one range of it and
    no sort. SQLite is told the index: without statistics on the roll-ups (a table filled
    after the last ANALYZE) it took the (resolution, bucket) index, which holds every senior's
    roll-ups of the span, and sorted them (54 ms a year chart at 20,000 seniors, growing with
    the region).
    """
    rows = await session.execute(
        select(ReadingRollup.metric, ReadingRollup.bucket_start, ReadingRollup.minimum,
               ReadingRollup.maximum, ReadingRollup.total, ReadingRollup.count)
        .where(ReadingRollup.senior_id == senior_id, ReadingRollup.resolution == resolution,
               ReadingRollup.bucket_start >= since, ReadingRollup.bucket_start < until)
        .with_hint(ReadingRollup, "INDEXED BY uq_reading_rollups_senior_bucket_metric",
                   "sqlite")
        .order_by(ReadingRollup.bucket_start, ReadingRollup.metric))
    found: dict[str, list[tuple[datetime, Bucket]]] = defaultdict(list)
    for metric, at, minimum, maximum, total, count in rows:
        found[metric].append((at, Bucket(minimum, maximum, total, count)))
    return found
