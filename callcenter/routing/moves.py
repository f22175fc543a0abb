"""A senior who moves takes their open routing tasks along: the desk's queue lives in
memory, so the tasks about them are placed in their new area at once (the new centre's
operators are offered them, its supervisors see them; the old centre's no longer do).

The stored alarms moved with the senior (alarms/service.py), so a reload of the desk reads
the same areas again.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.routing.desk import RoutingDesk
from seniors import areas as seniors_areas

MOVE_KIND = "tasks"


def follow_moves(desk: RoutingDesk) -> seniors_areas.MoveHook:
    """The move hook of ``desk`` (registered while the desk runs)."""

    async def moved(session: AsyncSession, senior_id: int, area_code: str) -> int:
        refs = {ref for ref, subject in desk.subjects.items() if subject.senior_id == senior_id}
        for ref in refs:
            desk.subjects[ref] = replace(desk.subjects[ref], area_code=area_code)
        tasks = [task for task in desk.router.tasks.values() if task.ref in refs]
        for task in tasks:
            task.area = area_code
        return len(tasks)

    return moved
