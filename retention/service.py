"""Roll-ups and deletions, one small batch per call; the caller's transaction commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from alarms.rules import LOCATION_METRICS, METRIC_BY_DEVICE_KIND
from devices.models import Device, DeviceReading
from retention.models import ReadingRollup, RollupCursor

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

    def merged(self, other: Bucket) -> Bucket:
        return Bucket(min(self.minimum, other.minimum), max(self.maximum, other.maximum),
                      self.total + other.total, self.count + other.count)


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
    rows = (await session.execute(
        select(DeviceReading.senior_id, Device.kind, DeviceReading.metric,
               func.min(DeviceReading.value), func.max(DeviceReading.value),
               func.sum(DeviceReading.value), func.count())
        .join(Device, Device.id == DeviceReading.device_id)
        # Only the time range in SQL, so the planner takes the measured_at index; readings
        # without a senior are skipped below.
        .where(DeviceReading.measured_at >= start, DeviceReading.measured_at < start + HOUR)
        .group_by(DeviceReading.senior_id, Device.kind, DeviceReading.metric))).all()
    buckets: dict[tuple[int, str], Bucket] = {}
    for senior_id, kind, metric, low, high, total, count in rows:
        if senior_id is None or metric in LOCATION_METRICS:
            continue
        key = (senior_id, METRIC_BY_DEVICE_KIND.get((kind, metric), metric))
        bucket = Bucket(low, high, total, count)
        buckets[key] = buckets[key].merged(bucket) if key in buckets else bucket
    await _replace_bucket(session, HOURLY, start, buckets)
    await _move_cursor(session, HOURLY, await _next_hour_with_readings(
        session, after=start + HOUR, until=until) if not rows else start + HOUR)
    return start


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
    rows = (await session.execute(
        select(ReadingRollup.senior_id, ReadingRollup.metric, func.min(ReadingRollup.minimum),
               func.max(ReadingRollup.maximum), func.sum(ReadingRollup.total),
               func.sum(ReadingRollup.count))
        .where(ReadingRollup.resolution == HOURLY, ReadingRollup.bucket_start >= start,
               ReadingRollup.bucket_start < end)
        .group_by(ReadingRollup.senior_id, ReadingRollup.metric))).all()
    buckets = {(senior_id, metric): Bucket(low, high, total, int(count))
               for senior_id, metric, low, high, total, count in rows}
    await _replace_bucket(session, DAILY, start, buckets)
    await _move_cursor(session, DAILY, end)
    return start


async def _replace_bucket(session: AsyncSession, resolution: str, start: datetime,
                          buckets: dict[tuple[int, str], Bucket]) -> None:
    # Rows of an earlier attempt that got this far are replaced, never added to.
    await session.execute(delete(ReadingRollup).where(ReadingRollup.resolution == resolution,
                                                      ReadingRollup.bucket_start == start))
    if buckets:
        await session.execute(insert(ReadingRollup), [
            {"senior_id": senior_id, "metric": metric, "resolution": resolution,
             "bucket_start": start, "minimum": b.minimum, "maximum": b.maximum,
             "total": b.total, "count": b.count}
            for (senior_id, metric), b in buckets.items()])


async def delete_batch(session: AsyncSession, model: Any, condition: ColumnElement[bool], *,
                       limit: int) -> int:
    """Delete up to ``limit`` rows of ``model`` matching ``condition``; how many went."""
    ids = select(model.id).where(condition).limit(limit).scalar_subquery()
    result = await session.execute(delete(model).where(model.id.in_(ids))
                                   .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def rollups(session: AsyncSession, *, senior_id: int, resolution: str, since: datetime,
                  until: datetime) -> dict[str, list[tuple[datetime, Bucket]]]:
    """A senior's roll-ups of one resolution in [since, until), by metric, oldest first."""
    rows = (await session.execute(
        select(ReadingRollup).where(ReadingRollup.senior_id == senior_id,
                                    ReadingRollup.resolution == resolution,
                                    ReadingRollup.bucket_start >= since,
                                    ReadingRollup.bucket_start < until)
        .order_by(ReadingRollup.bucket_start))).scalars()
    found: dict[str, list[tuple[datetime, Bucket]]] = defaultdict(list)
    for row in rows:
        found[row.metric].append((row.bucket_start, Bucket(row.minimum, row.maximum, row.total,
                                                           row.count)))
    return found
