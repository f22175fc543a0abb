"""Alarm work that spans a transaction and the bus: raising from the outside, escalation loop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from alarms import engine, events, service
from alarms.engine import Change
from alarms.models import Alarm
from alarms.rules import Observation
from alarms.service import RaiseResult
from incidents import events as incident_events
from incidents import service as incidents_service
from runtime.context import Runtime

ESCALATION_CHECK_SECONDS = 1.0
TIME_RULES_CHECK_SECONDS = 30.0


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
        rows = await events.rows_of(session, [result.alarm])
        await session.commit()
    if result.created:
        events.publish_raised(runtime.bus, result.alarm, rows)
    else:
        events.publish_updated(runtime.bus, result.alarm, rows)
    return result


async def acknowledge_and_announce(runtime: Runtime, *, alarm_id: int, by: str,
                                   via: str | None = None) -> Alarm:
    """An operator takes the alarm: stored with an audit entry on the senior, then announced."""
    now = runtime.clock.now()
    detail: dict[str, object] = {"alarm_id": alarm_id}
    if via:
        detail["via"] = via
    async with runtime.sessions() as session:
        alarm = await service.acknowledge(session, alarm_id=alarm_id, by=by, at=now)
        rows = await events.rows_of(session, [alarm])
        handling = events.handled_for(alarm, rows)  # a parent centre standing in for a station
        if handling:
            detail["handled_for"] = handling
        await accounts_service.record_audit(
            session, actor=by, action="alarm.ack", subject_type="senior",
            subject_id=str(alarm.senior_id), now=now, detail=detail)
        # The alarm joins the senior's open incident, or opens one owned by this operator.
        incident = await incidents_service.link_alarm(session, alarm=alarm, operator=by, now=now)
        await session.commit()
    events.publish_acknowledged(runtime.bus, alarm, rows)
    incident_events.publish_updated(runtime.bus, incident, what="alarm")
    return alarm


async def escalate_once(runtime: Runtime) -> int:
    """Escalate every P1 alarm left unacknowledged past its next step; returns how many.

    Each alarm is claimed in a transaction of its own: the rules feed and acknowledgements
    lock alarm rows too, and an escalation that held one alarm while waiting for the next
    deadlocked with them on PostgreSQL (one side was cancelled after a second)."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        due = await service.due_escalations(session, now=now)
    escalated = 0
    for alarm_id, level in due:
        async with runtime.sessions() as session:
            alarm = await service.claim_escalation(session, alarm_id=alarm_id, level=level,
                                                   now=now)
            if alarm is None:
                continue
            rows = await events.rows_of(session, [alarm])
            await session.commit()
        events.publish_escalated(runtime.bus, alarm, rows, level)
        escalated += 1
    return escalated


async def escalation_loop(runtime: Runtime) -> None:
    """Check for overdue P1 alarms every second (on the injected clock)."""
    while True:
        await escalate_once(runtime)
        await runtime.clock.sleep(ESCALATION_CHECK_SECONDS)


def publish_changes(runtime: Runtime, changes: Sequence[Change],
                    rows: events.AlarmRows) -> None:
    """Announce committed changes; each alarm once, with its latest state."""
    latest: dict[int, Change] = {}
    for change in changes:
        first = latest.get(change.alarm.id)
        raised = change.what == "raised" or (first is not None and first.what == "raised")
        latest[change.alarm.id] = Change(change.alarm, "raised" if raised else change.what)
    for change in latest.values():
        if change.what == "raised":
            events.publish_raised(runtime.bus, change.alarm, rows)
        else:
            events.publish_updated(runtime.bus, change.alarm, rows)


async def rows_of(session: AsyncSession, changes: Sequence[Change]) -> events.AlarmRows:
    return await events.rows_of(session, (change.alarm for change in changes))


async def process_observations(runtime: Runtime, observations: Sequence[Observation]
                               ) -> list[Change]:
    """Run the rules over observations in one transaction, then announce what changed."""
    zone = ZoneInfo(runtime.settings.timezone)
    changes: list[Change] = []
    async with runtime.sessions() as session:
        for observation in observations:
            changes += await engine.apply(session, observation, zone=zone)
        rows = await rows_of(session, changes)
        await session.commit()
    publish_changes(runtime, changes, rows)
    return changes


async def check_time_rules_once(runtime: Runtime) -> list[Change]:
    async with runtime.sessions() as session:
        changes = await engine.check_time_rules(session, now=runtime.clock.now(),
                                                zone=ZoneInfo(runtime.settings.timezone))
        rows = await rows_of(session, changes)
        await session.commit()
    publish_changes(runtime, changes, rows)
    return changes


async def time_rules_loop(runtime: Runtime) -> None:
    """Inactivity and fall-then-stillness, checked every 30 s on the injected clock."""
    while True:
        await check_time_rules_once(runtime)
        await runtime.clock.sleep(TIME_RULES_CHECK_SECONDS)
