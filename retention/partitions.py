"""PostgreSQL: device readings live in one partition per UTC day, so old days are dropped."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)
PARENT = "device_readings"
NAME = re.compile(r"^device_readings_p(\d{8})$")
DAYS_AHEAD = 3


def partition_name(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


async def is_partitioned(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return False
    found = await session.scalar(text(
        "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = :parent AND pg_table_is_visible(c.oid)"), {"parent": PARENT})
    return bool(found)


async def partition_days(session: AsyncSession) -> list[date]:
    """The days that have a partition of their own, oldest first."""
    names = (await session.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = :parent AND pg_table_is_visible(p.oid)"), {"parent": PARENT})).scalars()
    days = [date(int(m.group(1)[:4]), int(m.group(1)[4:6]), int(m.group(1)[6:]))
            for m in (NAME.match(name) for name in names) if m]
    return sorted(days)


async def ensure_partitions(session: AsyncSession, *, now: datetime,
                            since: datetime | None = None) -> list[date]:
    """Make today's partition and the next few days' (PostgreSQL only), and each day's from
    ``since`` on (a bulk load of past days); the days made."""
    if not await is_partitioned(session):
        return []
    existing = set(await partition_days(session))
    made = []
    today = now.astimezone(UTC).date()
    first = min(today, since.astimezone(UTC).date()) if since else today
    for offset in range((today - first).days + DAYS_AHEAD + 1):
        day = first + timedelta(days=offset)
        if day in existing:
            continue
        start = datetime.combine(day, datetime.min.time(), UTC)
        try:
            async with session.begin_nested():
                await session.execute(text(
                    f'CREATE TABLE "{partition_name(day)}" PARTITION OF {PARENT} '
                    f"FOR VALUES FROM ('{start.isoformat()}') "
                    f"TO ('{(start + timedelta(days=1)).isoformat()}')"))
        except DBAPIError:
            # Rows of that day already sit in the default partition (a clock far ahead):
            # they stay there and are deleted row by row when their time comes.
            log.warning("could not make the readings partition of %s", day)
            continue
        made.append(day)
    return made


async def drop_partitions_before(session: AsyncSession, *, cutoff: datetime) -> list[date]:
    """Drop every day partition that ends at or before ``cutoff``; the days dropped."""
    dropped = []
    for day in await partition_days(session):
        if datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) > cutoff:
            break
        await session.execute(text(f'DROP TABLE "{partition_name(day)}"'))
        dropped.append(day)
    return dropped
