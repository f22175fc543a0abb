"""The contact-centre KPIs per area, rolled up the hierarchy: the figures of an area count
every call and alarm in its subtree (a league's include its banners' stations).

A call belongs to its senior's area; an unknown caller's to the area of the centre whose line
they dialled (areas/lines.py), else to the region. An alarm carries its own area.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alarms.models import Alarm
from areas import lines as area_lines
from areas.codes import REGION, prefix_of
from callcenter.kpis.figures import AlarmRecord, CallRecord, alarm_figures, call_figures
from callcenter.models import CallLeg
from seniors.models import Senior


@dataclass(frozen=True, slots=True)
class AreaKpis:
    """One area's figures with everything under it (shares are None without calls/alarms)."""

    calls_offered: int
    calls_answered: int
    calls_abandoned: int
    service_level: float | None  # answered within the threshold, of those offered
    average_speed_of_answer_s: float | None
    abandonment_rate: float | None
    alarms_raised: int
    alarms_within_60s: float | None
    alarms_within_180s: float | None
    alarms_over_180s: int


async def area_kpis(session: AsyncSession, *, areas: Iterable[str], start: datetime,
                    end: datetime, threshold: float = 20.0) -> dict[str, AreaKpis]:
    """The figures of calls offered and alarms raised in [start, end), per area code, each
    counting the area's whole subtree; only what the caller's scope shows is counted."""
    calls = await _calls(session, start, end)
    alarms = await _alarms(session, start, end)
    found = {}
    for code in areas:
        prefix = prefix_of(code)
        mine = [call for area, call in calls if area.startswith(prefix)]
        total = call_figures(mine, threshold=threshold)[0].summary()
        raised = alarm_figures([a for area, a in alarms if area.startswith(prefix)], until=end)
        found[code] = AreaKpis(
            calls_offered=int(total["offered"] or 0), calls_answered=int(total["answered"] or 0),
            calls_abandoned=int(total["abandoned"] or 0), service_level=total["service_level"],
            average_speed_of_answer_s=total["average_speed_of_answer_s"],
            abandonment_rate=total["abandonment_rate"], alarms_raised=raised.raised,
            alarms_within_60s=_share(raised.within_60, raised.raised),
            alarms_within_180s=_share(raised.within_180, raised.raised),
            alarms_over_180s=len(raised.late))
    return found


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def _calls(session: AsyncSession, start: datetime, end: datetime
                 ) -> list[tuple[str, CallRecord]]:
    lines = await area_lines.line_areas(session)
    rows = await session.execute(
        select(CallLeg.queue, CallLeg.offered_at, CallLeg.answered_at, CallLeg.ended_at,
               CallLeg.operator, CallLeg.to_number, Senior.area_code)
        .outerjoin(Senior, Senior.id == CallLeg.senior_id)
        .where(CallLeg.direction == "inbound", CallLeg.offered_at >= start,
               CallLeg.offered_at < end))
    return [(row.area_code or area_lines.area_of_line(lines, row.to_number) or REGION,
             CallRecord(queue=row.queue or "none", offered_at=row.offered_at,
                        answered_at=row.answered_at, ended_at=row.ended_at,
                        operator=row.operator))
            for row in rows if row.offered_at is not None]


async def _alarms(session: AsyncSession, start: datetime, end: datetime
                  ) -> list[tuple[str, AlarmRecord]]:
    rows = await session.scalars(select(Alarm).where(Alarm.first_at >= start,
                                                     Alarm.first_at < end))
    return [(alarm.area_code or REGION,
             AlarmRecord(id=alarm.id, senior_id=alarm.senior_id, kind=alarm.kind,
                         priority=alarm.priority, raised_at=alarm.first_at,
                         acknowledged_at=alarm.acknowledged_at)) for alarm in rows]
