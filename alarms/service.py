"""Raising, repeating, acknowledging, resolving and escalating alarms.

The caller owns the transaction: these functions add and flush, the caller commits and then
publishes (see ``alarms.events``), so nothing is announced that was not stored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from alarms.exceptions import (
    AlarmNotFoundError,
    AlarmOwnedError,
    AlarmStateError,
    UnknownAlarmKindError,
)
from alarms.kinds import ALARM_KINDS, AlarmState, Disposition, Priority
from alarms.models import Alarm, AlarmStep
from alarms.schemas import AlarmOut
from areas import service as areas_service
from runtime.scope import current_scope
from seniors import areas as seniors_areas

SYSTEM = "system"
# Unacknowledged P1 alarms re-alert at 20 s and 60 s and reach the supervisor at 180 s.
P1_ESCALATION_STEPS = (timedelta(seconds=20), timedelta(seconds=60), timedelta(seconds=180))


# What a repeat changes on the alarm's row.
REPEATED_COLUMNS = (Alarm.count, Alarm.last_at, Alarm.priority, Alarm.condition_active,
                    Alarm.details)


@dataclass(frozen=True)
class RaiseResult:
    alarm: Alarm
    created: bool
    priority_raised: bool


def _open_key(senior_id: int, kind: str) -> str:
    return f"{senior_id}:{kind}"


def _step(alarm: Alarm, *, at: datetime, action: str, actor: str,
          detail: dict[str, object] | None = None) -> AlarmStep:
    return AlarmStep(alarm_id=alarm.id, at=at, action=action, actor=actor, detail=detail or {})


async def raise_alarm(
    session: AsyncSession,
    *,
    senior_id: int,
    kind: str,
    at: datetime,
    details: dict[str, object] | None = None,
    priority: int | None = None,
    device_id: str | None = None,
    voice_path: bool | None = None,
    known_open: Alarm | None = None,
) -> RaiseResult:
    """Open an alarm, or count a repeat on the open one of the same senior and kind.
    ``known_open``: the open alarm the caller already holds (saves a look-up; if it was
    resolved meanwhile, a new one opens as usual)."""
    spec = ALARM_KINDS.get(kind)
    if spec is None:
        raise UnknownAlarmKindError(kind)
    wanted = Priority(priority if priority is not None else spec.priority)
    if known_open is not None:
        repeated = await _repeat(session, known_open, at=at, details=details, priority=wanted,
                                 device_id=device_id)
        if repeated is not None:
            return repeated
    existing = await _open_alarm(session, senior_id=senior_id, kind=kind)
    if existing is None:
        alarm = Alarm(
            senior_id=senior_id, area_code=await seniors_areas.area_of(session, senior_id),
            kind=kind, priority=int(wanted), state=AlarmState.RAISED,
            open_key=_open_key(senior_id, kind),
            voice_path=spec.voice_path if voice_path is None else voice_path,
            condition_active=True, device_id=device_id, count=1, first_at=at, last_at=at,
            details=details or {}, escalation_level=0, notes="",
        )
        try:
            async with session.begin_nested():
                session.add(alarm)
                await session.flush()
        except IntegrityError:
            # Another writer opened it between our look and our insert: count a repeat on it.
            existing = await _open_alarm(session, senior_id=senior_id, kind=kind)
            if existing is None:
                raise
        else:
            session.add(_step(alarm, at=at, action="raised", actor=device_id or SYSTEM,
                              detail={"priority": int(wanted)}))
            return RaiseResult(alarm, created=True, priority_raised=False)
    repeated = await _repeat(session, existing, at=at, details=details, priority=wanted,
                             device_id=device_id)
    if repeated is None:  # resolved between our look and our update: open a new one
        return await raise_alarm(session, senior_id=senior_id, kind=kind, at=at,
                                 details=details, priority=priority, device_id=device_id,
                                 voice_path=voice_path)
    return repeated


async def _repeat(session: AsyncSession, alarm: Alarm, *, at: datetime,
                  details: dict[str, object] | None, priority: Priority,
                  device_id: str | None) -> RaiseResult | None:
    """Count a repeat on an alarm that is still open; None if it is not open any more."""
    raised = priority < alarm.priority
    # Counted in SQL, not in Python, so concurrent repeats are never lost; the row comes back
    # with the statement (RETURNING) instead of a second query.
    stored = (await session.execute(
        update(Alarm).where(Alarm.id == alarm.id, Alarm.open_key.is_not(None)).values(
            count=Alarm.count + 1,
            last_at=case((Alarm.last_at < at, at), else_=Alarm.last_at),
            priority=case((Alarm.priority > int(priority), int(priority)),
                          else_=Alarm.priority),
            condition_active=True,
            details={**alarm.details, **details} if details else Alarm.details,
        ).returning(*REPEATED_COLUMNS).execution_options(synchronize_session=False)
    )).one_or_none()
    if stored is None:
        return None
    for column, value in zip(REPEATED_COLUMNS, stored, strict=True):
        set_committed_value(alarm, column.key, value)
    session.add(_step(alarm, at=at, action="repeated", actor=device_id or SYSTEM,
                      detail={"count": alarm.count, "priority": alarm.priority}))
    await session.flush()
    return RaiseResult(alarm, created=False, priority_raised=raised)


async def _open_alarm(session: AsyncSession, *, senior_id: int, kind: str) -> Alarm | None:
    result = await session.execute(
        select(Alarm).where(Alarm.open_key == _open_key(senior_id, kind))
    )
    return result.scalar_one_or_none()


async def escalate_priority(session: AsyncSession, *, alarm_id: int, priority: Priority,
                            at: datetime, reason: str) -> Alarm:
    """Raise an open alarm's priority (correlation: a fall then no movement, repeated SOS).
    One guarded UPDATE: concurrent raises never lower it again or step it twice."""
    raised = await session.execute(
        update(Alarm).where(Alarm.id == alarm_id, Alarm.state != AlarmState.RESOLVED,
                            Alarm.priority > int(priority))
        .values(priority=int(priority)).execution_options(synchronize_session=False))
    alarm = await _reloaded(session, alarm_id)
    if getattr(raised, "rowcount", 0) == 1:
        session.add(_step(alarm, at=at, action="priority_raised", actor=SYSTEM,
                          detail={"priority": int(priority), "reason": reason}))
        await session.flush()
    elif alarm.state == AlarmState.RESOLVED:
        raise AlarmStateError(f"alarm {alarm_id} is already resolved")
    return alarm


async def clear_condition(session: AsyncSession, *, senior_id: int, kind: str,
                          at: datetime) -> Alarm | None:
    """The condition is gone (vitals back in range); the alarm stays for an operator."""
    alarm = await _open_alarm(session, senior_id=senior_id, kind=kind)
    if alarm is None or not alarm.condition_active:
        return None
    alarm.condition_active = False
    session.add(_step(alarm, at=at, action="condition_cleared", actor=SYSTEM))
    await session.flush()
    return alarm


async def move_open_alarms(session: AsyncSession, senior_id: int, area_code: str) -> int:
    """A senior moved: their open alarms go to the centre of their new area."""
    result = await session.execute(
        update(Alarm).where(Alarm.senior_id == senior_id, Alarm.open_key.is_not(None))
        .values(area_code=area_code).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def get_alarm(session: AsyncSession, alarm_id: int) -> Alarm:
    alarm = await session.get(Alarm, alarm_id)
    if alarm is None:
        raise AlarmNotFoundError(alarm_id)
    return alarm


async def acknowledge(session: AsyncSession, *, alarm_id: int, by: str, at: datetime) -> Alarm:
    """An operator takes ownership of a raised alarm.

    One guarded UPDATE claims it, so of any number of concurrent attempts (other requests, the
    routing desk, another process) exactly one wins; the others get ``AlarmOwnedError`` naming
    the owner. Acknowledging an alarm one already owns changes nothing.
    """
    claimed = await session.execute(
        update(Alarm).where(Alarm.id == alarm_id, Alarm.state == AlarmState.RAISED)
        .values(state=AlarmState.ACKNOWLEDGED, acknowledged_at=at, acknowledged_by=by)
        .execution_options(synchronize_session=False))
    alarm = await _reloaded(session, alarm_id)
    if getattr(claimed, "rowcount", 0) != 1:
        if alarm.state == AlarmState.RESOLVED:
            raise AlarmStateError(f"alarm {alarm_id} is already resolved")
        if alarm.acknowledged_by == by:
            return alarm
        raise AlarmOwnedError(alarm_id, alarm.acknowledged_by or SYSTEM)
    detail: dict[str, object] = {"waited_seconds": (at - alarm.first_at).total_seconds()}
    detail |= await _note_handling(session, alarm)
    session.add(_step(alarm, at=at, action="acknowledged", actor=by, detail=detail))
    await session.flush()
    return alarm


async def _note_handling(session: AsyncSession, alarm: Alarm) -> dict[str, object]:
    """Record on the alarm whose work it is and which of the acknowledging person's centres
    took it (their request's scope); the step's detail names both when they differ."""
    handling = await areas_service.handling_of(session, area_code=alarm.area_code,
                                               prefixes=current_scope().prefixes)
    if handling is None:
        return {}
    alarm.for_centre_id, alarm.handled_by_centre_id = handling.for_centre.id, handling.by_centre.id
    if not handling.on_behalf:
        return {}
    by, home = handling.by_centre, handling.for_centre
    return {"handled_for": {"by_zh": by.name_zh, "by_en": by.name_en,
                            "for_zh": home.name_zh, "for_en": home.name_en}}


async def resolve(session: AsyncSession, *, alarm_id: int, by: str, at: datetime,
                  disposition: Disposition, notes: str = "") -> Alarm:
    """Close an alarm with a disposition; an unacknowledged one is acknowledged on the way.
    Claimed by one guarded UPDATE: of concurrent attempts exactly one resolves it."""
    alarm = await get_alarm(session, alarm_id)
    if alarm.state == AlarmState.RAISED:
        with contextlib.suppress(AlarmOwnedError):  # someone took it meanwhile: still close it
            await acknowledge(session, alarm_id=alarm_id, by=by, at=at)
    claimed = await session.execute(
        update(Alarm).where(Alarm.id == alarm_id, Alarm.state == AlarmState.ACKNOWLEDGED)
        .values(state=AlarmState.RESOLVED, open_key=None, resolved_at=at, resolved_by=by,
                disposition=disposition.value, notes=notes)
        .execution_options(synchronize_session=False))
    alarm = await _reloaded(session, alarm_id)
    if getattr(claimed, "rowcount", 0) != 1:
        raise AlarmStateError(f"alarm {alarm_id} is already resolved"
                              + (f" by {alarm.resolved_by}" if alarm.resolved_by else ""))
    session.add(_step(alarm, at=at, action="resolved", actor=by,
                      detail={"disposition": disposition.value}))
    await session.flush()
    return alarm


async def _reloaded(session: AsyncSession, alarm_id: int) -> Alarm:
    """The alarm as stored now (after a guarded UPDATE the session's copy may be stale)."""
    alarm = await session.get(Alarm, alarm_id, populate_existing=True)
    if alarm is None:
        raise AlarmNotFoundError(alarm_id)
    return alarm


async def due_escalations(session: AsyncSession, *, now: datetime) -> list[tuple[int, int]]:
    """Unacknowledged P1 alarms that crossed their next escalation step: (alarm id, new level)
    in id order. Only read; each is claimed with ``claim_escalation``."""
    result = await session.execute(
        select(Alarm.id, Alarm.first_at, Alarm.escalation_level)
        .where(Alarm.state == AlarmState.RAISED, Alarm.priority == Priority.LIFE_THREATENING,
               Alarm.escalation_level < len(P1_ESCALATION_STEPS))
        .order_by(Alarm.id))
    due = []
    for alarm_id, first_at, current in result:
        level = sum(1 for step in P1_ESCALATION_STEPS if now - first_at >= step)
        if level > current:
            due.append((alarm_id, level))
    return due


async def claim_escalation(session: AsyncSession, *, alarm_id: int, level: int,
                           now: datetime) -> Alarm | None:
    """Move the alarm to ``level`` and note the step, unless another checker already did or an
    operator took it meanwhile (exactly one alert per step); the alarm, or None."""
    result = await session.execute(
        update(Alarm)
        .where(Alarm.id == alarm_id, Alarm.escalation_level < level,
               Alarm.state == AlarmState.RAISED)
        .values(escalation_level=level)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    alarm = await _reloaded(session, alarm_id)
    session.add(_step(alarm, at=now, action="escalated", actor=SYSTEM, detail={"level": level}))
    await session.flush()
    return alarm


async def open_alarms_for_senior(session: AsyncSession, *, senior_id: int) -> Sequence[Alarm]:
    result = await session.execute(
        select(Alarm).where(Alarm.senior_id == senior_id, Alarm.state != AlarmState.RESOLVED)
        .order_by(Alarm.priority, Alarm.first_at)
    )
    return result.scalars().all()


async def find_alarm(session: AsyncSession, *, alarm_id: int) -> Alarm | None:
    """The alarm, or None when there is no such alarm (archived ones too)."""
    return await session.get(Alarm, alarm_id)


async def open_without_voice(session: AsyncSession, *,
                             priorities: Sequence[int]) -> Sequence[Alarm]:
    """Open alarms of these priorities raised without a voice path (a data-only device), the
    oldest first: nobody is on a line with the senior."""
    result = await session.execute(select(Alarm).where(
        Alarm.state != AlarmState.RESOLVED, Alarm.voice_path.is_(False),
        Alarm.priority.in_(priorities)).order_by(Alarm.id))
    return result.scalars().all()


@dataclass(frozen=True, slots=True)
class WaitingAlarm:
    """An alarm nobody has acknowledged yet: what the routing desk queues."""

    id: int
    priority: int
    senior_id: int


async def waiting_alarms(session: AsyncSession) -> list[WaitingAlarm]:
    """Every raised alarm nobody has acknowledged yet (three columns, read every desk tick)."""
    rows = await session.execute(select(Alarm.id, Alarm.priority, Alarm.senior_id)
                                 .where(Alarm.state == AlarmState.RAISED))
    return [WaitingAlarm(*row) for row in rows]


async def resolved_among(session: AsyncSession, *, alarm_ids: Sequence[int]) -> set[int]:
    """Which of these alarms are resolved."""
    return set((await session.execute(select(Alarm.id).where(
        Alarm.state == AlarmState.RESOLVED, Alarm.id.in_(alarm_ids)))).scalars())


@dataclass(frozen=True, slots=True)
class AlarmHeadline:
    """What an alarm is and since when: what a work queue shows of it."""

    id: int
    senior_id: int
    kind: str
    priority: int
    first_at: datetime
    area_code: str | None


async def headlines_of(session: AsyncSession, *, alarm_ids: Sequence[int]) -> list[AlarmHeadline]:
    """The headline of each of these alarms that exists, in one query."""
    if not alarm_ids:
        return []
    rows = await session.execute(select(
        Alarm.id, Alarm.senior_id, Alarm.kind, Alarm.priority, Alarm.first_at, Alarm.area_code)
        .where(Alarm.id.in_(alarm_ids)))
    return [AlarmHeadline(*row) for row in rows]


async def list_alarms(
    session: AsyncSession,
    *,
    states: Sequence[str] = (),
    max_priority: int | None = None,
    senior_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    include_archived: bool = False,
) -> Sequence[Alarm]:
    """Alarms by the filters, most urgent first, then oldest first; archived ones only when
    asked."""
    query = select(Alarm)
    if not include_archived:
        query = query.where(Alarm.archived_at.is_(None))
    if states:
        query = query.where(Alarm.state.in_(states))
    if max_priority is not None:
        query = query.where(Alarm.priority <= max_priority)
    if senior_id is not None:
        query = query.where(Alarm.senior_id == senior_id)
    if since is not None:
        query = query.where(Alarm.first_at >= since)
    if until is not None:
        query = query.where(Alarm.first_at < until)
    query = query.order_by(Alarm.priority, Alarm.first_at).limit(limit)
    return (await session.execute(query)).scalars().all()


async def timeline(session: AsyncSession, *, alarm_id: int) -> Sequence[AlarmStep]:
    result = await session.execute(
        select(AlarmStep).where(AlarmStep.alarm_id == alarm_id).order_by(AlarmStep.id)
    )
    return result.scalars().all()


@dataclass(frozen=True, slots=True)
class AlarmStepView:
    """One step of an alarm's history, as another domain's timeline tells it."""

    alarm_id: int
    at: datetime
    action: str
    actor: str
    detail: Mapping[str, object]


async def alarms_by_ids(session: AsyncSession, *, alarm_ids: Sequence[int]) -> list[AlarmOut]:
    """These alarms, the first raised first."""
    if not alarm_ids:
        return []
    alarms = await session.scalars(select(Alarm).where(Alarm.id.in_(alarm_ids))
                                   .order_by(Alarm.first_at))
    return [AlarmOut.model_validate(alarm) for alarm in alarms]


async def steps_of(session: AsyncSession, *, alarm_ids: Sequence[int]) -> list[AlarmStepView]:
    """Every step of these alarms, in the order they were taken."""
    if not alarm_ids:
        return []
    steps = await session.scalars(select(AlarmStep).where(AlarmStep.alarm_id.in_(alarm_ids))
                                  .order_by(AlarmStep.id))
    return [AlarmStepView(alarm_id=step.alarm_id, at=step.at, action=step.action,
                          actor=step.actor, detail=dict(step.detail)) for step in steps]


async def recent_of_senior(session: AsyncSession, *, senior_id: int,
                           limit: int) -> list[AlarmOut]:
    """The senior's latest alarms, the newest first."""
    alarms = await session.scalars(select(Alarm).where(Alarm.senior_id == senior_id)
                                   .order_by(Alarm.first_at.desc()).limit(limit))
    return [AlarmOut.model_validate(alarm) for alarm in alarms]


@dataclass(frozen=True, slots=True)
class AlarmTiming:
    """When an alarm was raised and acknowledged: what the KPIs count."""

    id: int
    senior_id: int
    kind: str
    priority: int
    first_at: datetime
    acknowledged_at: datetime | None


async def raised_between(session: AsyncSession, *, start: datetime,
                         end: datetime) -> list[AlarmTiming]:
    """Alarms first raised in [start, end), the earliest first.

    Six columns, not whole alarms: a month of a region is hundreds of thousands of rows, and
    building each as an ORM object and then a schema cost 0.35 ms a row.
    """
    rows = await session.execute(select(
        Alarm.id, Alarm.senior_id, Alarm.kind, Alarm.priority, Alarm.first_at,
        Alarm.acknowledged_at).where(Alarm.first_at >= start, Alarm.first_at < end)
        .order_by(Alarm.first_at))
    return [AlarmTiming(*row) for row in rows]
