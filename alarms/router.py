"""HTTP routes: the alarm list, one alarm with its timeline, acknowledge and resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from alarms import events, service
from alarms.exceptions import AlarmNotFoundError, AlarmStateError
from alarms.kinds import AlarmState
from alarms.models import Alarm
from alarms.schemas import AlarmDetail, AlarmOut, AlarmStepOut, ResolveIn
from runtime.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"])
ALARM_HANDLERS = {Role.OPERATOR, Role.SUPERVISOR}
Handler = Annotated[StaffUser, Depends(require_roles(ALARM_HANDLERS))]
Reader = Annotated[StaffUser, Depends(require_roles(ALARM_HANDLERS | {Role.DISPATCHER}))]


@router.get("", response_model=list[AlarmOut])
async def list_alarms(
    user: Reader,
    session: SessionDep,
    state: Annotated[list[AlarmState] | None, Query()] = None,
    max_priority: Annotated[int | None, Query(ge=1, le=5)] = None,
    senior_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[Alarm]:
    """Alarms, most urgent and oldest first; filter by state, priority, senior and time."""
    return list(await service.list_alarms(
        session, states=[s.value for s in state or []], max_priority=max_priority,
        senior_id=senior_id, since=since, until=until, limit=limit,
    ))


@router.get("/{alarm_id}", response_model=AlarmDetail)
async def read_alarm(alarm_id: int, user: Reader, session: SessionDep) -> AlarmDetail:
    """One alarm with every timed, attributed step."""
    alarm = await _load(session, alarm_id)
    steps = await service.timeline(session, alarm_id=alarm_id)
    return AlarmDetail(**AlarmOut.model_validate(alarm).model_dump(),
                       timeline=[AlarmStepOut.model_validate(s) for s in steps])


@router.post("/{alarm_id}/ack", response_model=AlarmOut)
async def acknowledge(alarm_id: int, user: Handler, runtime: RuntimeDep,
                      session: SessionDep) -> Alarm:
    """Take ownership of an alarm; 409 if another operator already owns it."""
    now = runtime.clock.now()
    try:
        alarm = await service.acknowledge(session, alarm_id=alarm_id, by=user.username, at=now)
    except AlarmNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except AlarmStateError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    await accounts_service.record_audit(
        session, actor=user.username, action="alarm.ack", subject_type="senior",
        subject_id=str(alarm.senior_id), now=now, detail={"alarm_id": alarm_id},
    )
    await session.commit()
    events.publish_acknowledged(runtime.bus, alarm)
    return alarm


@router.post("/{alarm_id}/resolve", response_model=AlarmOut)
async def resolve(alarm_id: int, body: ResolveIn, user: Handler, runtime: RuntimeDep,
                  session: SessionDep) -> Alarm:
    """Close an alarm with a disposition and notes."""
    now = runtime.clock.now()
    try:
        alarm = await service.resolve(session, alarm_id=alarm_id, by=user.username, at=now,
                                      disposition=body.disposition, notes=body.notes)
    except AlarmNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except AlarmStateError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    await accounts_service.record_audit(
        session, actor=user.username, action="alarm.resolve", subject_type="senior",
        subject_id=str(alarm.senior_id), now=now,
        detail={"alarm_id": alarm_id, "disposition": body.disposition.value},
    )
    await session.commit()
    events.publish_resolved(runtime.bus, alarm)
    return alarm


async def _load(session: SessionDep, alarm_id: int) -> Alarm:
    try:
        return await service.get_alarm(session, alarm_id)
    except AlarmNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
