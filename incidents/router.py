"""HTTP routes for incidents: list, open, read the timeline, act, resolve.

Operators and supervisors read every incident (a colleague may need to take over); only the
owner acts on one unless they are a supervisor. Every read and change is audited on the senior.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from alarms.exceptions import AlarmNotFoundError, AlarmStateError
from callcenter import events as call_events
from callcenter.exceptions import CallCenterError, CallNotFoundError, UnknownPurposeError
from callcenter.schemas import CallOut
from dispatch.exceptions import DispatchError
from dispatch.schemas import OrderOut
from incidents import flows, service, timeline
from incidents.exceptions import (
    IncidentAlreadyOpenError,
    IncidentClosedError,
    IncidentConflictError,
    IncidentError,
    IncidentInputError,
    IncidentNotFoundError,
    NotIncidentOwnerError,
)
from incidents.kinds import IncidentState
from incidents.schemas import (
    CallContactIn,
    ConferenceIn,
    ContactRecordIn,
    IncidentDetail,
    IncidentOpen,
    IncidentOut,
    NoteIn,
    OrderIn,
    OwnerIn,
    ResolveIn,
    SeniorRecord,
)
from incidents.senior_record import senior_record
from runtime.deps import RuntimeDep, SessionDep
from seniors.exceptions import SeniorNotFoundError
from seniors.views import audited, view_for
from storage.bounds import Limit, RowId

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
Staff = Annotated[StaffUser, Depends(require_roles({Role.OPERATOR, Role.SUPERVISOR}))]
Supervisor = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR}))]

STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (IncidentNotFoundError, status.HTTP_404_NOT_FOUND),
    (SeniorNotFoundError, status.HTTP_404_NOT_FOUND),
    (AlarmNotFoundError, status.HTTP_404_NOT_FOUND),
    (NotIncidentOwnerError, status.HTTP_403_FORBIDDEN),
    (IncidentInputError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (IncidentClosedError, status.HTTP_409_CONFLICT),
    (IncidentAlreadyOpenError, status.HTTP_409_CONFLICT),
    (IncidentConflictError, status.HTTP_409_CONFLICT),
    (AlarmStateError, status.HTTP_409_CONFLICT),
    (DispatchError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (CallNotFoundError, status.HTTP_404_NOT_FOUND),
    (UnknownPurposeError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (CallCenterError, status.HTTP_409_CONFLICT),  # e.g. the call is no longer live
)


@asynccontextmanager
async def translated() -> AsyncIterator[None]:
    """Turn a domain error into one HTTP answer whose detail names the problem."""
    try:
        yield
    except (IncidentError, SeniorNotFoundError, AlarmNotFoundError, AlarmStateError,
            DispatchError, CallCenterError) as error:
        code = next(code for kind, code in STATUS_OF if isinstance(error, kind))
        raise HTTPException(code, str(error)) from error


@router.get("", response_model=list[IncidentOut])
async def list_incidents(
    user: Staff, runtime: RuntimeDep, session: SessionDep,
    state: IncidentState | None = None, senior_id: RowId | None = None,
    owner: str | None = None, alarm_id: RowId | None = None,
    limit: Limit = 100,
    archived: Annotated[bool, Query(description="include archived records")] = False,
) -> list[IncidentOut]:
    """Incidents, newest first; filter by state, senior, owner or a linked alarm."""
    found = await service.list_incidents(session, state=state, senior_id=senior_id,
                                         owner=owner, alarm_id=alarm_id, limit=limit,
                                         include_archived=archived)
    result = [await timeline.incident_out(session, incident) for incident in found]
    await flows.read_many(runtime, user, found)
    return result


@router.post("", response_model=IncidentDetail, status_code=status.HTTP_201_CREATED)
async def open_incident(body: IncidentOpen, user: Staff, runtime: RuntimeDep) -> IncidentDetail:
    """Open an incident by hand; 409 names the senior's incident that is already open."""
    async with translated():
        return await flows.open_by_hand(runtime, user, senior_id=body.senior_id,
                                        note=body.note)


@router.get("/seniors/{senior_id}/record", response_model=SeniorRecord)
async def read_senior_record(senior_id: RowId, user: Staff, runtime: RuntimeDep,
                             session: SessionDep) -> SeniorRecord:
    """The senior's record for the call panel: profile, health, contacts, devices, history."""
    view = view_for(user.role)
    async with translated():
        record = await senior_record(session, runtime, senior_id=senior_id, view=view)
    await flows.audit_senior(session, runtime, user, "senior.record", senior_id,
                             **audited(view))
    await session.commit()
    return record


@router.get("/{incident_id}", response_model=IncidentDetail)
async def read_incident(incident_id: RowId, user: Staff, runtime: RuntimeDep) -> IncidentDetail:
    """The incident with everything linked to it, and the timeline in time order."""
    async with translated():
        return await flows.read(runtime, user, incident_id=incident_id)


@router.post("/{incident_id}/notes", response_model=IncidentDetail,
             status_code=status.HTTP_201_CREATED)
async def add_note(incident_id: RowId, body: NoteIn, user: Staff,
                   runtime: RuntimeDep) -> IncidentDetail:
    async with translated():
        return await flows.add_note(runtime, user, incident_id=incident_id, text=body.text)


@router.post("/{incident_id}/contacts", response_model=IncidentDetail,
             status_code=status.HTTP_201_CREATED)
async def record_contact(incident_id: RowId, body: ContactRecordIn, user: Staff,
                         runtime: RuntimeDep) -> IncidentDetail:
    """Record a contact reached (or not) outside a call placed from here."""
    async with translated():
        return await flows.record_contact(runtime, user, incident_id=incident_id, body=body)


@router.post("/{incident_id}/calls/senior", response_model=CallOut,
             status_code=status.HTTP_201_CREATED)
async def call_senior(incident_id: RowId, user: Staff, runtime: RuntimeDep) -> CallOut:
    """Ring the senior; answered, they are straight on with the operator."""
    async with translated():
        leg = await flows.call_senior(runtime, user, incident_id=incident_id)
    return call_events.call_out(leg)


@router.post("/{incident_id}/calls/contact", response_model=CallOut,
             status_code=status.HTTP_201_CREATED)
async def call_contact(incident_id: RowId, body: CallContactIn, user: Staff,
                       runtime: RuntimeDep) -> CallOut:
    """Ring one of the senior's emergency contacts (by position)."""
    async with translated():
        leg = await flows.call_contact(runtime, user, incident_id=incident_id,
                                       position=body.position)
    return call_events.call_out(leg)


@router.post("/{incident_id}/conference", response_model=CallOut,
             status_code=status.HTTP_201_CREATED)
async def conference(incident_id: RowId, body: ConferenceIn, user: Staff,
                     runtime: RuntimeDep) -> CallOut:
    """Dial a contact or 120 into the operator's connected call of this incident; 409 when
    no call of the incident is connected."""
    async with translated():
        leg = await flows.conference(runtime, user, incident_id=incident_id, body=body)
    return call_events.call_out(leg)


@router.post("/{incident_id}/orders", response_model=OrderOut,
             status_code=status.HTTP_201_CREATED)
async def order_service(incident_id: RowId, body: OrderIn, user: Staff,
                        runtime: RuntimeDep) -> OrderOut:
    """Order a service for the senior through dispatch; the order joins the incident."""
    async with translated():
        order = await flows.order_service(runtime, user, incident_id=incident_id, body=body)
    return OrderOut.model_validate(order)


@router.post("/{incident_id}/resolve", response_model=IncidentDetail)
async def resolve(incident_id: RowId, body: ResolveIn, user: Staff,
                  runtime: RuntimeDep) -> IncidentDetail:
    """Close with a disposition and summary; the incident's open alarms are resolved with it.
    409 while one of its calls is still connected."""
    async with translated():
        return await flows.resolve(runtime, user, incident_id=incident_id, body=body)


@router.put("/{incident_id}/owner", response_model=IncidentDetail)
async def set_owner(incident_id: RowId, body: OwnerIn, user: Supervisor,
                    runtime: RuntimeDep) -> IncidentDetail:
    """A supervisor hands the incident to another operator."""
    async with translated():
        return await flows.set_owner(runtime, user, incident_id=incident_id, owner=body.owner)
