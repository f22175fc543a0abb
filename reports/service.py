"""The monthly district report (民政月报), read straight from the case record.

A read model across domains: it only counts, never changes anything, and reads each table
by the columns its access path is indexed for (created_at, first_at, senior_id).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from alarms.models import Alarm
from callcenter.models import CallLeg
from devices.models import Device
from dispatch.models import ServiceOrder
from liveness.models import Certification
from seniors.models import Senior

# Age in whole years at the end of the month; the last band is open.
AGE_BANDS = ((0, 60, "under_60"), (60, 70, "60_69"), (70, 80, "70_79"), (80, 90, "80_89"),
             (90, 200, "90_plus"))
ANSWER_TARGETS_S = (60, 180)
NO_DISTRICT = "—"


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month in the centre's time zone, as UTC instants [start, end)."""

    year: int
    month: int
    start: datetime
    end: datetime
    last_day: date

    @classmethod
    def of(cls, text: str, zone: ZoneInfo) -> Month:
        """``YYYY-MM``; ValueError for anything else."""
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(year, month, datetime.combine(first, time(0), zone).astimezone(UTC),
                   datetime.combine(following, time(0), zone).astimezone(UTC),
                   following - timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass
class DistrictFigures:
    """Every figure of one district; the keys of the dicts are codes the page translates."""

    district: str
    seniors: dict[str, int] = field(default_factory=lambda: Counter())
    age_bands: dict[str, int] = field(default_factory=lambda: Counter())
    subsidy_categories: dict[str, int] = field(default_factory=lambda: Counter())
    devices: dict[str, int] = field(default_factory=lambda: Counter())
    alarms: list[dict[str, Any]] = field(default_factory=list)
    calls_by_purpose: dict[str, int] = field(default_factory=lambda: Counter())
    orders: list[dict[str, Any]] = field(default_factory=list)
    proof_of_life: dict[str, Any] = field(default_factory=lambda: Counter())

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it rebuilds a Counter from pairs, counting the pairs.
        return {name: dict(value) if isinstance(value, dict) else value
                for name, value in vars(self).items()}


async def monthly_report(session: AsyncSession, *, month: Month,
                         district: str | None = None) -> list[DistrictFigures]:
    """The month's figures per district (one district if named), districts in name order."""
    figures: dict[str, DistrictFigures] = {}

    def of(name: str | None) -> DistrictFigures:
        key = name or NO_DISTRICT
        if key not in figures:
            figures[key] = DistrictFigures(key)
        return figures[key]

    await _seniors(session, month, district, of)
    await _devices(session, month, district, of)
    await _alarms(session, month, district, of)
    await _calls(session, month, district, of)
    await _orders(session, month, district, of)
    await _proof_of_life(session, month, district, of)
    return [figures[name] for name in sorted(figures)]


def registered(month: Month) -> Any:
    return and_(Senior.created_at < month.end,
                or_(Senior.archived_at.is_(None), Senior.archived_at >= month.end))


def _in_district(district: str | None) -> Any:
    return Senior.district == district if district is not None else True


async def _seniors(session: AsyncSession, month: Month, district: str | None, of: Any) -> None:
    last = month.last_day
    bands = [(name, and_(Senior.birth_date <= _years_before(last, low),
                         Senior.birth_date > _years_before(last, high)))
             for low, high, name in AGE_BANDS]
    rows = (await session.execute(
        select(Senior.district, func.count(),
               func.sum(case((Senior.lives_alone, 1), else_=0)),
               func.sum(case((Senior.created_at >= month.start, 1), else_=0)),
               *[func.sum(case((condition, 1), else_=0)) for _, condition in bands])
        .where(registered(month), _in_district(district))
        .group_by(Senior.district))).all()
    for name, count, alone, new, *in_bands in rows:
        figures = of(name)
        figures.seniors["registered"] += count
        figures.seniors["living_alone"] += int(alone or 0)
        figures.seniors["registered_this_month"] += int(new or 0)
        for (band, _), counted in zip(bands, in_bands, strict=True):
            figures.age_bands[band] += int(counted or 0)
    # Categories are a JSON list per senior: counted here rather than in dialect-specific SQL.
    categories = await session.execute(
        select(Senior.district, Senior.subsidy_categories)
        .where(registered(month), _in_district(district),
               cast(Senior.subsidy_categories, String) != "[]"))
    for name, listed in categories:
        for category in listed or []:
            of(name).subsidy_categories[category] += 1


def _years_before(day: date, years: int) -> date:
    """The birth date that turns ``years`` old on ``day`` (29 February counts from 1 March)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 3, 1)


async def _devices(session: AsyncSession, month: Month, district: str | None, of: Any) -> None:
    rows = (await session.execute(
        select(Senior.district, func.count(),
               func.sum(case((Device.last_seen >= month.start, 1), else_=0)))
        .join(Senior, Senior.id == Device.senior_id)
        .where(Device.created_at < month.end, Device.state == "active", _in_district(district))
        .group_by(Senior.district))).all()
    for name, deployed, seen in rows:
        of(name).devices["deployed"] += deployed
        of(name).devices["online"] += int(seen or 0)


async def _alarms(session: AsyncSession, month: Month, district: str | None, of: Any) -> None:
    rows = (await session.execute(
        select(Senior.district, Alarm.kind, Alarm.priority, Alarm.first_at,
               Alarm.acknowledged_at)
        .join(Senior, Senior.id == Alarm.senior_id)
        .where(Alarm.first_at >= month.start, Alarm.first_at < month.end,
               _in_district(district)))).all()
    groups: dict[tuple[str, str, int], list[float | None]] = defaultdict(list)
    for name, kind, priority, first_at, answered_at in rows:
        groups[(name, kind, priority)].append(
            (answered_at - first_at).total_seconds() if answered_at else None)
    for (name, kind, priority), waits in sorted(groups.items()):
        answered = sorted(wait for wait in waits if wait is not None)
        entry: dict[str, Any] = {"kind": kind, "priority": priority, "count": len(waits),
                                 "answered": len(answered),
                                 "median_answer_s": answered[len(answered) // 2]
                                 if answered else None}
        for target in ANSWER_TARGETS_S:
            within = sum(1 for wait in answered if wait <= target)
            entry[f"within_{target}s"] = within
            entry[f"share_within_{target}s"] = round(within / len(waits), 4)
        of(name).alarms.append(entry)


async def _calls(session: AsyncSession, month: Month, district: str | None, of: Any) -> None:
    query = (select(Senior.district, CallLeg.purpose, func.count())
             .outerjoin(Senior, Senior.id == CallLeg.senior_id)
             .where(CallLeg.created_at >= month.start, CallLeg.created_at < month.end,
                    CallLeg.parent_call_id.is_(None))
             .group_by(Senior.district, CallLeg.purpose))
    if district is not None:
        query = query.where(Senior.district == district)
    for name, purpose, count in (await session.execute(query)).all():
        of(name).calls_by_purpose[purpose] += count


async def _orders(session: AsyncSession, month: Month, district: str | None, of: Any) -> None:
    query = (select(ServiceOrder.district, ServiceOrder.service, func.count(),
                    func.sum(case((ServiceOrder.state == "completed", 1), else_=0)),
                    func.sum(ServiceOrder.price_fen), func.sum(ServiceOrder.subsidised_fen))
             .where(ServiceOrder.created_at >= month.start, ServiceOrder.created_at < month.end)
             .group_by(ServiceOrder.district, ServiceOrder.service)
             .order_by(ServiceOrder.service))
    if district is not None:
        query = query.where(ServiceOrder.district == district)
    for name, service, count, completed, price, subsidised in (await session.execute(query)):
        of(name).orders.append({"service": service, "count": count,
                                "completed": int(completed or 0),
                                "price_fen": int(price or 0),
                                "subsidised_fen": int(subsidised or 0)})


async def _proof_of_life(session: AsyncSession, month: Month, district: str | None,
                         of: Any) -> None:
    last = month.last_day
    rows = (await session.execute(
        select(Senior.district, func.count(),
               func.sum(case((Certification.certified_until >= last, 1), else_=0)),
               func.sum(case((and_(Certification.held_since.is_not(None),
                                   Certification.held_since <= last), 1), else_=0)))
        .join(Senior, Senior.id == Certification.senior_id)
        .where(_in_district(district)).group_by(Senior.district))).all()
    for name, total, current, held in rows:
        figures = of(name)
        figures.proof_of_life["certifications"] += total
        figures.proof_of_life["current"] += int(current or 0)
        figures.proof_of_life["held"] += int(held or 0)
        figures.proof_of_life["completion"] = round(int(current or 0) / total, 4)
