"""Which live-feed events a subscriber's centres may hear: an event's own area, else the
area of the senior its data names (so a topic added later that carries ``senior_id`` is
scoped without its publisher doing anything); an event about no senior and no area is
every centre's (a system notice, an unknown caller's call)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from runtime.bus import BusEvent
from runtime.context import Runtime
from runtime.scope import AreaScope
from seniors.models import Senior


def senior_named(event: BusEvent) -> int | None:
    data = event.data
    subject = data.get("subject")
    for value in (data.get("senior_id"), subject.get("senior_id")
                  if isinstance(subject, dict) else None,
                  data.get("id") if event.topic.startswith("senior.") else None):
        if isinstance(value, int):
            return value
    return None


class FeedScope:
    """One subscriber's areas, with the areas of the seniors its events named (per feed)."""

    def __init__(self, runtime: Runtime, scope: AreaScope) -> None:
        self.runtime = runtime
        self.scope = scope
        self._areas: dict[int, str | None] = {}

    async def hears(self, event: BusEvent) -> bool:
        if self.scope.prefixes is None:
            return True
        area = event.area
        senior_id = senior_named(event)
        if event.topic == "senior.updated" and senior_id is not None:
            self._areas.pop(senior_id, None)  # perhaps moved
        if area is None and senior_id is not None:
            area = await self._area_of(senior_id)
        return area is None or self.scope.covers(area)

    async def _area_of(self, senior_id: int) -> str | None:
        if senior_id not in self._areas:
            async with self.runtime.sessions() as session:
                query: Any = select(Senior.area_code).where(Senior.id == senior_id)
                self._areas[senior_id] = await session.scalar(
                    query.execution_options(everywhere=True))
        return self._areas[senior_id]
