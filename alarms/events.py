"""What the alarms domain publishes on the bus; call these only after the commit.

Every alarm event carries the whole row the queue shows (the senior's name, address and
district included), so that a page can replace what it knows without ever blanking a field.
The publish functions therefore take the senior as a required argument: look it up with
``senior_of``/``seniors_of`` inside the transaction that changed the alarm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.audiences import audience
from accounts.models import StaffUser
from alarms.kinds import ALARM_KINDS, ANSWER_TARGET_SECONDS, AlarmState
from alarms.models import Alarm
from devices.models import Device
from runtime.bus import EventBus
from runtime.context import Runtime
from seniors.models import Senior

SUPERVISORS = ("supervisor",)


@dataclass(frozen=True, slots=True)
class AlarmSenior:
    """What an alarm row shows about its senior."""

    id: int
    name: str
    address: str
    district: str
    # where in the home each of the senior's devices is ("bathroom"), by device id
    device_locations: dict[str, str] = field(default_factory=dict)


async def seniors_of(session: AsyncSession, senior_ids: Iterable[int]) -> dict[int, AlarmSenior]:
    """The row fields of these seniors (archived ones too: their alarms still show)."""
    ids = set(senior_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Senior.id, Senior.name, Senior.address, Senior.district)
        .where(Senior.id.in_(ids)))
    places = await session.execute(
        select(Device.senior_id, Device.id, Device.location)
        .where(Device.senior_id.in_(ids), Device.location != ""))
    locations: dict[int, dict[str, str]] = {}
    for place in places:
        locations.setdefault(place.senior_id, {})[place.id] = place.location
    return {row.id: AlarmSenior(row.id, row.name, row.address, row.district,
                                locations.get(row.id, {})) for row in rows}


async def senior_of(session: AsyncSession, senior_id: int) -> AlarmSenior:
    """One senior's row fields; a senior missing from the registry shows by number."""
    return senior_in(await seniors_of(session, [senior_id]), senior_id)


def senior_in(seniors: dict[int, AlarmSenior], senior_id: int) -> AlarmSenior:
    """The senior from a ``seniors_of`` answer; one missing from the registry shows by number."""
    return seniors.get(senior_id) or AlarmSenior(senior_id, f"#{senior_id}", "", "")


def alarm_payload(alarm: Alarm, senior: AlarmSenior) -> dict[str, object]:
    kind = ALARM_KINDS[alarm.kind]
    return {
        "id": alarm.id, "senior_id": alarm.senior_id, "senior_name": senior.name,
        "address": senior.address, "district": senior.district,
        "device_location": senior.device_locations.get(alarm.device_id or "", ""),
        "kind": alarm.kind, "label": kind.label_zh, "label_en": kind.label_en,
        "priority": alarm.priority, "state": alarm.state, "voice_path": alarm.voice_path,
        "condition_active": alarm.condition_active, "count": alarm.count,
        "first_at": alarm.first_at.isoformat(), "last_at": alarm.last_at.isoformat(),
        "acknowledged_at": alarm.acknowledged_at.isoformat() if alarm.acknowledged_at else None,
        "acknowledged_by": alarm.acknowledged_by, "escalation_level": alarm.escalation_level,
        "disposition": alarm.disposition, "details": alarm.details,
        "summary": f"P{alarm.priority} {kind.label_zh} · {senior.name}",
    }


def publish_raised(bus: EventBus, alarm: Alarm, senior: AlarmSenior) -> None:
    bus.publish("alarm.raised", alarm_payload(alarm, senior), roles=audience("alarm.raised"),
                area=alarm.area_code)


def publish_updated(bus: EventBus, alarm: Alarm, senior: AlarmSenior) -> None:
    bus.publish("alarm.updated", alarm_payload(alarm, senior), roles=audience("alarm.updated"),
                area=alarm.area_code)


def publish_acknowledged(bus: EventBus, alarm: Alarm, senior: AlarmSenior) -> None:
    bus.publish("alarm.acknowledged", {**alarm_payload(alarm, senior),
                                       "by": alarm.acknowledged_by},
                roles=audience("alarm.acknowledged"), area=alarm.area_code)


def publish_resolved(bus: EventBus, alarm: Alarm, senior: AlarmSenior) -> None:
    bus.publish("alarm.resolved", {**alarm_payload(alarm, senior), "by": alarm.resolved_by},
                roles=audience("alarm.resolved"), area=alarm.area_code)


def publish_escalated(bus: EventBus, alarm: Alarm, senior: AlarmSenior, level: int) -> None:
    """Levels 1 and 2 re-alert every operator; level 3 goes to supervisors."""
    payload = {**alarm_payload(alarm, senior), "level": level}
    bus.publish("alarm.escalated", payload,
                roles=SUPERVISORS if level >= 3 else audience("alarm.escalated"),
                area=alarm.area_code)


async def snapshot_part(runtime: Runtime, user: StaffUser) -> Any:
    """The live feed's view of alarms: every open one, most urgent first, and the answer
    target of each priority (seconds) that the queue colours against."""
    from alarms import service

    async with runtime.sessions() as session:
        alarms = await service.list_alarms(
            session, states=[AlarmState.RAISED, AlarmState.ACKNOWLEDGED], limit=1000
        )
        seniors = await seniors_of(session, (a.senior_id for a in alarms))
    return {
        "open": [alarm_payload(alarm, senior_in(seniors, alarm.senior_id)) for alarm in alarms],
        "answer_target_seconds": {str(int(p)): s for p, s in ANSWER_TARGET_SECONDS.items()},
    }
