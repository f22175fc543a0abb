"""The centres a supervisor oversees, as a tree in words: each with its open alarms (its
whole subtree's), the operators on duty who work for it, and the day's KPIs of its subtree."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import CentreMember, StaffUser
from alarms.models import Alarm
from areas import service as areas_service
from areas.codes import prefix_of
from reports.area_kpis import AreaKpis, area_kpis
from runtime.scope import current_scope
from storage.scope import area_matches


class CentreStatus(BaseModel):
    """A centre in the supervisor's tree, in words."""

    model_config = ConfigDict(frozen=True)

    slug: str
    name_zh: str
    name_en: str
    parent_slug: str | None
    depth: int
    open_alarms: int
    on_duty: list[str]  # display names
    kpis: AreaKpis  # calls offered and alarms raised in the interval, its whole subtree


async def centre_tree(session: AsyncSession, *, on_duty: set[str], start: datetime,
                      end: datetime) -> list[CentreStatus]:
    """The centres in the caller's areas, each after its parent; ``on_duty``: usernames of
    operators at their desks now; KPIs of [start, end)."""
    centres = [c for c in await areas_service.centres(session)
               if current_scope().covers(c.area_code)]
    by_id = {centre.id: centre for centre in centres}
    staff = await _staff_by_centre(session)
    kpis = await area_kpis(session, areas={c.area_code for c in centres}, start=start, end=end)
    rows = []
    for centre in _tree_order(centres):
        parent = by_id.get(centre.parent_id) if centre.parent_id else None
        rows.append(CentreStatus(
            slug=centre.slug, name_zh=centre.name_zh, name_en=centre.name_en,
            parent_slug=parent.slug if parent else None, depth=_depth(centre, by_id),
            open_alarms=await _open_alarms(session, centre.area_code),
            on_duty=sorted(name for username, name in staff.get(centre.id, [])
                           if username in on_duty),
            kpis=kpis[centre.area_code]))
    return rows


def _tree_order(centres: list[areas_service.CentreView]) -> list[areas_service.CentreView]:
    ordered: list[areas_service.CentreView] = []
    ids = {c.id for c in centres}

    def visit(parent: int | None) -> None:
        for centre in sorted(centres, key=lambda c: c.area_code):
            top = centre.parent_id is None or centre.parent_id not in ids
            if (centre.parent_id == parent and not top) or (parent is None and top):
                ordered.append(centre)
                visit(centre.id)

    visit(None)
    return ordered


def _depth(centre: areas_service.CentreView, by_id: dict[int, areas_service.CentreView]) -> int:
    depth, parent = 0, centre.parent_id
    while parent is not None and parent in by_id and depth < 10:
        depth, parent = depth + 1, by_id[parent].parent_id
    return depth


async def _open_alarms(session: AsyncSession, area_code: str) -> int:
    query = select(func.count()).select_from(Alarm).where(
        Alarm.open_key.is_not(None), area_matches(Alarm.area_code, [prefix_of(area_code)]))
    return int(await session.scalar(query) or 0)


async def _staff_by_centre(session: AsyncSession) -> dict[int, list[tuple[str, str]]]:
    rows = await session.execute(
        select(CentreMember.centre_id, StaffUser.username, StaffUser.display_name)
        .join(StaffUser, StaffUser.id == CentreMember.user_id))
    staff: dict[int, list[tuple[str, str]]] = {}
    for centre_id, username, name in rows.all():
        staff.setdefault(centre_id, []).append((username, name))
    return staff
