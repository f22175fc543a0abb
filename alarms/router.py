"""HTTP routes: the alarm list, one alarm with its timeline, acknowledge and resolve."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from alarms import events, flows, service
from alarms.exceptions import AlarmNotFoundError, AlarmOwnedError, AlarmStateError
from alarms.kinds import AlarmState
from alarms.models import Alarm, AlarmProfile
from alarms.schemas import (
    AlarmDetail,
    AlarmOut,
    AlarmProfileIn,
    AlarmProfileOut,
    AlarmStepOut,
    CentreHandling,
    OwnedConflict,
    ResolveIn,
    VitalOverride,
)
from runtime.context import Runtime
from runtime.deps import RuntimeDep, SessionDep
from runtime.problems import Problem, Refusal
from seniors import service as seniors_service
from seniors.exceptions import SeniorNotFoundError
from storage.bounds import Limit, RowId

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"])
ALARM_HANDLERS = {Role.OPERATOR, Role.SUPERVISOR}
Handler = Annotated[StaffUser, Depends(require_roles(ALARM_HANDLERS))]
Reader = Annotated[StaffUser, Depends(require_roles(ALARM_HANDLERS | {Role.DISPATCHER}))]
ProfileEditor = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR}))]


@router.get("", response_model=list[AlarmOut])
async def list_alarms(
    user: Reader,
    session: SessionDep,
    state: Annotated[list[AlarmState] | None, Query()] = None,
    max_priority: Annotated[int | None, Query(ge=1, le=5)] = None,
    senior_id: RowId | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 200,
    archived: Annotated[bool, Query(description="include archived records")] = False,
) -> list[AlarmOut]:
    """Alarms, most urgent and oldest first; filter by state, priority, senior and time."""
    return await named(session, await service.list_alarms(
        session, states=[s.value for s in state or []], max_priority=max_priority,
        senior_id=senior_id, since=since, until=until, limit=limit, include_archived=archived,
    ))


async def named(session: AsyncSession, alarms: Sequence[Alarm]) -> list[AlarmOut]:
    """The alarms as the API answers them, with who owns and who resolved each by name."""
    names = await accounts_service.display_names(session, events.staff_of(alarms))
    rows = events.AlarmRows({}, names, await events.centres_of(session, alarms))
    return [_out(alarm, rows) for alarm in alarms]


def _out(alarm: Alarm, rows: events.AlarmRows) -> AlarmOut:
    handling = events.handled_for(alarm, rows)
    return AlarmOut.model_validate(alarm).model_copy(update={
        "acknowledged_by_name": rows.name(alarm.acknowledged_by),
        "resolved_by_name": rows.name(alarm.resolved_by),
        "handled_for": CentreHandling(**handling) if handling else None})


@router.get("/{alarm_id}", response_model=AlarmDetail)
async def read_alarm(alarm_id: RowId, user: Reader, session: SessionDep) -> AlarmDetail:
    """One alarm with every timed, attributed step."""
    alarm = await _load(session, alarm_id)
    steps = await service.timeline(session, alarm_id=alarm_id)
    (out,) = await named(session, [alarm])
    return AlarmDetail(**out.model_dump(), timeline=[AlarmStepOut.model_validate(s) for s in steps])


@router.post("/{alarm_id}/ack", response_model=AlarmOut,
             responses={409: {"model": OwnedConflict | Problem}})
async def acknowledge(alarm_id: RowId, user: Handler, runtime: RuntimeDep) -> AlarmOut:
    """Take ownership of an alarm; 409 naming the owner if another operator already owns it."""
    try:
        alarm = await flows.acknowledge_and_announce(runtime, alarm_id=alarm_id, by=user.username)
    except AlarmNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except AlarmOwnedError as error:
        raise await owned_conflict(runtime, error) from error
    except AlarmStateError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    async with runtime.sessions() as session:
        (out,) = await named(session, [alarm])
    return out


async def owned_conflict(runtime: Runtime, error: AlarmOwnedError) -> Refusal:
    """409 with the owner's name, so that the page can say who has the alarm."""
    async with runtime.sessions() as session:
        owner = await accounts_service.get_user_by_username(session, error.owner)
    name = owner.display_name if owner else error.owner
    who = name if name == error.owner else f"{name} ({error.owner})"
    return Refusal(status.HTTP_409_CONFLICT, "alarm_owned", params={"owner_name": name},
                   detail=f"alarm {error.alarm_id} is already owned by {who}",
                   extra={"owner": error.owner, "owner_name": name})


@router.post("/{alarm_id}/resolve", response_model=AlarmOut)
async def resolve(alarm_id: RowId, body: ResolveIn, user: Handler, runtime: RuntimeDep,
                  session: SessionDep) -> AlarmOut:
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
    rows = await events.rows_of(session, [alarm])
    await session.commit()
    events.publish_resolved(runtime.bus, alarm, rows)
    return _out(alarm, rows)


async def _load(session: SessionDep, alarm_id: int) -> Alarm:
    try:
        return await service.get_alarm(session, alarm_id)
    except AlarmNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@router.get("/profiles/{senior_id}", response_model=AlarmProfileOut)
async def read_profile(senior_id: RowId, user: Reader, session: SessionDep) -> AlarmProfileOut:
    """The senior's own alarm settings (defaults where none are set)."""
    profile = await session.get(AlarmProfile, senior_id)
    if profile is None:
        return AlarmProfileOut(senior_id=senior_id)
    return AlarmProfileOut(
        senior_id=senior_id, inactivity_hours=profile.inactivity_hours,
        watch_inactivity_at_night=profile.watch_inactivity_at_night,
        geofence_meters=profile.geofence_meters, updated_by=profile.updated_by,
        vital_overrides={k: VitalOverride(**v) for k, v in profile.vital_overrides.items()},
    )


@router.put("/profiles/{senior_id}", response_model=AlarmProfileOut)
async def put_profile(senior_id: RowId, body: AlarmProfileIn, user: ProfileEditor,
                      runtime: RuntimeDep, session: SessionDep) -> AlarmProfileOut:
    """Set the senior's inactivity window, night watching, geofence and vital-sign limits."""
    try:
        await seniors_service.get_senior(session, senior_id)
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    overrides: dict[str, dict[str, float | None]] = {
        str(metric): limits.model_dump(exclude_none=True)
        for metric, limits in body.vital_overrides.items()
    }
    now = runtime.clock.now()
    profile = await session.get(AlarmProfile, senior_id) or AlarmProfile(senior_id=senior_id)
    profile.inactivity_hours = body.inactivity_hours
    profile.watch_inactivity_at_night = body.watch_inactivity_at_night
    profile.geofence_meters = body.geofence_meters
    profile.vital_overrides = overrides
    profile.updated_at = now
    profile.updated_by = user.username
    session.add(profile)
    await accounts_service.record_audit(
        session, actor=user.username, action="alarm.profile", subject_type="senior",
        subject_id=str(senior_id), now=now, detail=body.model_dump(mode="json"),
    )
    await session.commit()
    return AlarmProfileOut(senior_id=senior_id, updated_by=user.username,
                           **body.model_dump(exclude={"vital_overrides"}),
                           vital_overrides=body.vital_overrides)
