"""The month's figures per area, rolled up the hierarchy: each station's own, then its
league or city (its own and every station under it), then the region. Only the areas the
reader's centres serve are listed: the totals of a parent come from the rows the reader
may see, so a parent they do not serve would show a part as if it were the whole."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alarms.models import Alarm
from areas.models import Area
from dispatch.models import ServiceOrder
from reports.service import Month, registered
from runtime.scope import current_scope
from seniors.models import Senior

FIGURES = ("seniors", "alarms", "orders")


class AreaFigures(BaseModel):
    """One area's figures with everything under it."""

    model_config = ConfigDict(frozen=True)

    code: str
    parent_code: str | None
    name_zh: str
    name_en: str
    seniors: int
    alarms: int
    orders: int


async def rolled_up(session: AsyncSession, *, month: Month) -> list[AreaFigures]:
    """Figures per area, each area counting its whole subtree; parents before children."""
    areas = {row.code: row for row in (await session.scalars(select(Area))).all()}
    own = await _own_figures(session, month)
    totals: dict[str, Counter[str]] = {code: Counter() for code in areas}
    for code, counts in own.items():
        for ancestor in _lineage(code, areas):
            totals[ancestor].update(counts)
    scope = current_scope()
    return [AreaFigures(code=code, parent_code=area.parent_code, name_zh=area.name_zh,
                        name_en=area.name_en, **{name: totals[code][name] for name in FIGURES})
            for code, area in sorted(areas.items())
            if scope.covers(code) and any(totals[code].values())]


def _lineage(code: str, areas: dict[str, Area]) -> list[str]:
    chain: list[str] = []
    current: str | None = code
    while current is not None and current in areas and current not in chain:
        chain.append(current)
        current = areas[current].parent_code
    return chain


async def _own_figures(session: AsyncSession, month: Month) -> dict[str, Counter[str]]:
    own: dict[str, Counter[str]] = {}
    queries = {
        "seniors": select(Senior.area_code, func.count()).where(registered(month))
        .group_by(Senior.area_code),
        "alarms": select(Alarm.area_code, func.count())
        .where(Alarm.first_at >= month.start, Alarm.first_at < month.end)
        .group_by(Alarm.area_code),
        "orders": select(Senior.area_code, func.count()).select_from(ServiceOrder)
        .join(Senior, Senior.id == ServiceOrder.senior_id)
        .where(ServiceOrder.created_at >= month.start, ServiceOrder.created_at < month.end)
        .group_by(Senior.area_code),
    }
    for name, query in queries.items():
        for code, count in (await session.execute(query)).all():
            if code is not None:
                own.setdefault(code, Counter())[name] += int(count)
    return own
