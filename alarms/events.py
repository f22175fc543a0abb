"""What the alarms domain publishes on the bus; call these only after the commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from accounts.audiences import audience
from accounts.models import StaffUser
from alarms.kinds import ALARM_KINDS, AlarmState
from alarms.models import Alarm
from runtime.bus import EventBus
from runtime.context import Runtime

SUPERVISORS = ("supervisor",)


def alarm_payload(alarm: Alarm, senior_name: str | None = None) -> dict[str, object]:
    kind = ALARM_KINDS[alarm.kind]
    return {
        "id": alarm.id, "senior_id": alarm.senior_id, "senior_name": senior_name,
        "kind": alarm.kind, "label": kind.label_zh, "label_en": kind.label_en,
        "priority": alarm.priority, "state": alarm.state, "voice_path": alarm.voice_path,
        "condition_active": alarm.condition_active, "count": alarm.count,
        "first_at": alarm.first_at.isoformat(), "last_at": alarm.last_at.isoformat(),
        "acknowledged_by": alarm.acknowledged_by, "escalation_level": alarm.escalation_level,
        "disposition": alarm.disposition, "details": alarm.details,
        "summary": f"P{alarm.priority} {kind.label_zh} · {senior_name or alarm.senior_id}",
    }


def publish_raised(bus: EventBus, alarm: Alarm, senior_name: str | None) -> None:
    bus.publish("alarm.raised", alarm_payload(alarm, senior_name),
                roles=audience("alarm.raised"))


def publish_updated(bus: EventBus, alarm: Alarm, senior_name: str | None = None) -> None:
    bus.publish("alarm.updated", alarm_payload(alarm, senior_name),
                roles=audience("alarm.updated"))


def publish_acknowledged(bus: EventBus, alarm: Alarm) -> None:
    bus.publish("alarm.acknowledged", {**alarm_payload(alarm), "by": alarm.acknowledged_by},
                roles=audience("alarm.acknowledged"))


def publish_resolved(bus: EventBus, alarm: Alarm) -> None:
    bus.publish("alarm.resolved", {**alarm_payload(alarm), "by": alarm.resolved_by},
                roles=audience("alarm.resolved"))


def publish_escalated(bus: EventBus, alarm: Alarm, level: int) -> None:
    """Levels 1 and 2 re-alert every operator; level 3 goes to supervisors."""
    payload = {**alarm_payload(alarm), "level": level}
    bus.publish("alarm.escalated", payload,
                roles=SUPERVISORS if level >= 3 else audience("alarm.escalated"))


async def snapshot_part(runtime: Runtime, user: StaffUser) -> Any:
    """The live feed's view of alarms: every open one, most urgent first."""
    from alarms import service
    from seniors.models import Senior

    async with runtime.sessions() as session:
        alarms = await service.list_alarms(
            session, states=[AlarmState.RAISED, AlarmState.ACKNOWLEDGED], limit=1000
        )
        rows = await session.execute(
            select(Senior.id, Senior.name).where(Senior.id.in_({a.senior_id for a in alarms}))
        )
        names = {row.id: row.name for row in rows}
    return {"open": [alarm_payload(alarm, names.get(alarm.senior_id)) for alarm in alarms]}
