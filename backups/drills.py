"""The drill record: what each drill restored and how long recovery took; two a year required."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backups.models import RestoreDrill

DRILLS_PER_YEAR = 2  # 每年至少组织两次应急演练


@dataclass(frozen=True, slots=True)
class DrillReport:
    """The outcome of one drill, as stored and printed."""

    started_at: datetime
    finished_at: datetime
    backup_file: str
    backup_created_at: datetime | None
    recovery_point_s: float | None
    recovery_time_s: float | None
    outcome: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("started_at", "finished_at", "backup_created_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return data


async def record_drill(session: AsyncSession, *, report: DrillReport) -> RestoreDrill:
    """Add the drill to the caller's transaction."""
    row = RestoreDrill(**asdict(report))
    session.add(row)
    await session.flush()
    return row


async def list_drills(session: AsyncSession, *, limit: int = 50) -> list[RestoreDrill]:
    """The newest drills first."""
    return list((await session.execute(
        select(RestoreDrill).order_by(RestoreDrill.started_at.desc(), RestoreDrill.id.desc())
        .limit(limit))).scalars())


async def passed_in_year(session: AsyncSession, *, year: int) -> int:
    """How many drills passed in calendar year ``year`` (UTC)."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    rows = (await session.execute(
        select(RestoreDrill.id).where(RestoreDrill.started_at >= start,
                                      RestoreDrill.started_at < start.replace(year=year + 1),
                                      RestoreDrill.outcome == "passed"))).all()
    return len(rows)
