"""Alarm work that spans a transaction and the bus: raising from the outside, escalation loop."""

from __future__ import annotations

from datetime import datetime

from alarms import events, service
from alarms.service import RaiseResult
from runtime.context import Runtime
from seniors import service as seniors_service

ESCALATION_CHECK_SECONDS = 1.0


async def raise_and_announce(
    runtime: Runtime,
    *,
    senior_id: int,
    kind: str,
    at: datetime,
    details: dict[str, object] | None = None,
    priority: int | None = None,
    device_id: str | None = None,
    voice_path: bool | None = None,
) -> RaiseResult:
    """Store the alarm (or its repeat) in its own transaction, then tell the live feed."""
    async with runtime.sessions() as session:
        result = await service.raise_alarm(
            session, senior_id=senior_id, kind=kind, at=at, details=details,
            priority=priority, device_id=device_id, voice_path=voice_path,
        )
        senior = await seniors_service.get_senior(session, senior_id)
        await session.commit()
    if result.created:
        events.publish_raised(runtime.bus, result.alarm, senior.name)
    else:
        events.publish_updated(runtime.bus, result.alarm, senior.name)
    return result


async def escalate_once(runtime: Runtime) -> int:
    """Escalate every P1 alarm left unacknowledged past its next step; returns how many."""
    async with runtime.sessions() as session:
        due = await service.due_escalations(session, now=runtime.clock.now())
        await session.commit()
    for alarm, level in due:
        events.publish_escalated(runtime.bus, alarm, level)
    return len(due)


async def escalation_loop(runtime: Runtime) -> None:
    """Check for overdue P1 alarms every second (on the injected clock)."""
    while True:
        await escalate_once(runtime)
        await runtime.clock.sleep(ESCALATION_CHECK_SECONDS)
