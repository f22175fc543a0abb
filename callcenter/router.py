"""Operators' call API: the queue, answer and hang up, cases, campaigns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import select

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from callcenter import campaigns, conferencing, dial_targets, events, flows, service, views
from callcenter.exceptions import (
    CallNotFoundError,
    CallNotLiveError,
    CallNotWaitingError,
    CampaignNotFoundError,
    MonitoringUnsupportedError,
    NoPhoneEndpointError,
    NotYourCallError,
    NumberNotDialableError,
    UnknownPurposeError,
)
from callcenter.lifespan import callcenter_of
from callcenter.models import CallCase
from callcenter.schemas import (
    AttemptOut,
    CallbackDone,
    CallOut,
    CampaignIn,
    CampaignOut,
    CaseClosed,
    CaseOut,
    MonitorOut,
    OutboundCallIn,
    PartyIn,
    TextOut,
    parse_number,
)
from messaging import service as messaging_service
from runtime.context import Runtime
from runtime.deps import RuntimeDep, SessionDep
from seniors import service as seniors_service
from storage.bounds import Limit, RowId

CALL_STAFF = frozenset({Role.OPERATOR, Role.SUPERVISOR})
CAMPAIGN_STAFF = frozenset({Role.SUPERVISOR})
CallStaff = Annotated[StaffUser, Depends(require_roles(CALL_STAFF))]
CampaignStaff = Annotated[StaffUser, Depends(require_roles(CAMPAIGN_STAFF))]
Supervisor = Annotated[StaffUser, Depends(require_roles(frozenset({Role.SUPERVISOR})))]

router = APIRouter(prefix="/api/v1/calls", tags=["calls"])


def _translate(error: Exception) -> HTTPException:
    if isinstance(error, CallNotFoundError | CampaignNotFoundError):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(error))
    if isinstance(error, UnknownPurposeError | NumberNotDialableError):
        return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))
    return HTTPException(status.HTTP_409_CONFLICT, str(error))


@router.get("/queue")
async def queue(user: CallStaff, session: SessionDep) -> list[CallOut]:
    """Waiting calls, most urgent and longest-waiting first."""
    waiting = await service.waiting_calls(session, for_operator=user.username)
    return await views.call_views(session, waiting)


@router.get("")
async def recent(user: CallStaff, session: SessionDep, limit: Limit = 100,
                 archived: Annotated[bool, Query(description="include archived calls")] = False,
                 ) -> list[CallOut]:
    return await views.call_views(session, await service.recent_calls(
        session, limit=limit, include_archived=archived))


@router.get("/cases")
async def cases(user: CallStaff, session: SessionDep) -> list[CaseOut]:
    """Outbound cases (call-backs, cascades, call-back tasks) with their attempts and texts."""
    rows = (await session.execute(select(CallCase).order_by(CallCase.id.desc()).limit(100)))
    listed = rows.scalars().all()
    seniors = {case.senior_id for case in listed if case.senior_id is not None}
    names = await seniors_service.names_of(session, seniors)
    contacts = {senior_id: {c.position: c.name for c in await seniors_service.contacts_of(
        session, senior_id=senior_id)} for senior_id in seniors}
    found = []
    for case in listed:
        attempts = await flows.attempts_of(session, case.id)
        texts = await messaging_service.of_case(session, case.id)
        named = contacts.get(case.senior_id or 0, {})  # who is behind each number, by name
        found.append(CaseOut(
            id=case.id, kind=case.kind, state=case.state, senior_id=case.senior_id,
            alarm_id=case.alarm_id, number=case.number, outcome=case.outcome,
            senior_name=names.get(case.senior_id or 0), created_at=case.created_at,
            attempts=[AttemptOut.model_validate(a).model_copy(update={"contact_name": (
                names.get(case.senior_id or 0) if a.contact_position is None
                else named.get(a.contact_position))}) for a in attempts],
            texts=[TextOut(to_number=t.to_number, reason=t.template, body=t.body,
                           channel=t.channel, state=t.state) for t in texts]))
    return found


@router.post("/cases/{case_id}/done")
async def callback_done(case_id: RowId, body: CallbackDone, user: CallStaff, runtime: RuntimeDep,
                        session: SessionDep) -> CaseClosed:
    """An operator has made a requested call-back; the task closes with their outcome."""
    case = await session.get(CallCase, case_id)
    if case is None or case.kind != service.REQUESTED_CALLBACK or case.state != "open":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no open call-back task {case_id}")
    case.operator = user.username
    await flows.close_case(runtime, session, case, outcome=body.outcome)
    await _audit(session, runtime, user, "callback.done", case.senior_id, {"case": case.id})
    await session.commit()
    events.publish_case(runtime.bus, case)
    return CaseClosed(id=case.id, state=case.state, outcome=case.outcome)


@router.post("/outbound", status_code=201)
async def place_own_call(body: OutboundCallIn, user: CallStaff, runtime: RuntimeDep,
                         session: SessionDep) -> CallOut:
    """The operator calls someone; answered, the person is straight on with them."""
    to = parse_number(body.to)
    try:
        await dial_targets.check_dialable(runtime, to=to)
        call = await conferencing.call_out(
            runtime, to=to, purpose=body.purpose, operator=user.username,
            senior_id=body.senior_id, contact_position=body.contact_position)
    except (UnknownPurposeError, NumberNotDialableError) as error:
        raise _translate(error) from error
    await _audit(session, runtime, user, "call.outbound", call.senior_id,
                 {"call": call.id, "purpose": call.purpose})
    await session.commit()
    return await views.call_view(session, call)


@router.post("/{call_id}/parties", status_code=201)
async def add_party(call_id: RowId, body: PartyIn, user: CallStaff, runtime: RuntimeDep,
                    session: SessionDep) -> CallOut:
    """Dial someone into a live call (a contact, 120, a supervisor)."""
    to = parse_number(body.to)
    try:
        await dial_targets.check_dialable(runtime, to=to)
        leg = await conferencing.add_party(
            runtime, call_id=call_id, to=to, purpose=body.purpose,
            requested_by=user.username, muted=body.muted, senior_id=body.senior_id,
            contact_position=body.contact_position)
    except (CallNotFoundError, CallNotLiveError, UnknownPurposeError,
            NumberNotDialableError) as error:
        raise _translate(error) from error
    await _audit(session, runtime, user, "call.add_party", leg.senior_id,
                 {"call": call_id, "leg": leg.id, "purpose": leg.purpose})
    await session.commit()
    return await views.call_view(session, leg)


@router.post("/{call_id}/monitor")
async def monitor(call_id: RowId, user: Supervisor, runtime: RuntimeDep,
                  session: SessionDep) -> MonitorOut:
    """Listen in on a live call, muted (Twilio), or watch it live (simulator)."""
    try:
        watch = await conferencing.monitor(runtime, call_id=call_id, supervisor=user.username)
    except (CallNotFoundError, CallNotLiveError, MonitoringUnsupportedError,
            NoPhoneEndpointError) as error:
        raise _translate(error) from error
    await _audit(session, runtime, user, "call.monitor", watch.call.senior_id,
                 {"call": call_id, "mode": watch.mode.value,
                  "leg": watch.leg.id if watch.leg else None})
    await session.commit()
    return MonitorOut(mode=watch.mode.value, call=await views.call_view(session, watch.call),
                      leg=await views.call_view(session, watch.leg) if watch.leg else None)


@router.get("/{call_id}")
async def one_call(call_id: RowId, user: CallStaff, session: SessionDep) -> CallOut:
    try:
        return await views.call_view(session, await service.get_call(session, call_id))
    except CallNotFoundError as error:
        raise _translate(error) from error


@router.post("/{call_id}/answer")
async def answer(call_id: RowId, user: CallStaff, runtime: RuntimeDep,
                 session: SessionDep) -> CallOut:
    """The operator takes a waiting call; the caller is bridged to them."""
    try:
        call = await service.answer_call(session, call_id=call_id, operator=user.username,
                                         now=runtime.clock.now())
    except (CallNotFoundError, CallNotWaitingError) as error:
        raise _translate(error) from error
    await _audit(session, runtime, user, "call.answer", call.senior_id, {"call": call.id})
    await session.commit()
    events.publish_call(runtime.bus, call)
    callcenter_of(runtime).spawn(conferencing.connect_operator(
        runtime, call_id=call.id, operator=user.username))
    return await views.call_view(session, call)


@router.post("/{call_id}/hangup")
async def hang_up(call_id: RowId, user: CallStaff, runtime: RuntimeDep,
                  session: SessionDep) -> CallOut:
    try:
        call = await service.hang_up_call(session, call_id=call_id, operator=user.username,
                                          now=runtime.clock.now())
    except (CallNotFoundError, NotYourCallError) as error:
        raise _translate(error) from error
    await _audit(session, runtime, user, "call.hangup", call.senior_id, {"call": call.id})
    await session.commit()
    events.publish_call(runtime.bus, call)
    if call.provider_sid:
        callcenter_of(runtime).spawn(
            callcenter_of(runtime).provider.hang_up(call_sid=call.provider_sid))
    return await views.call_view(session, call)


@router.post("/campaigns", status_code=201)
async def create_campaign(body: CampaignIn, user: CampaignStaff, runtime: RuntimeDep,
                          session: SessionDep) -> CampaignOut:
    """Schedule wellbeing calls to seniors living alone, or a weather warning to a district."""
    campaign = await campaigns.create_campaign(session, data=body, created_by=user.username,
                                               now=runtime.clock.now())
    await _audit(session, runtime, user, "campaign.create", None, {"campaign": campaign.id})
    await session.commit()
    return await campaigns.report(session, campaign_id=campaign.id)


@router.get("/campaigns/{campaign_id}")
async def campaign_report(campaign_id: RowId, user: CampaignStaff,
                          session: SessionDep) -> CampaignOut:
    try:
        return await campaigns.report(session, campaign_id=campaign_id)
    except CampaignNotFoundError as error:
        raise _translate(error) from error


async def _audit(session: SessionDep, runtime: Runtime, user: StaffUser, action: str,
                 senior_id: int | None, detail: dict[str, object]) -> None:
    await accounts_service.record_audit(
        session, actor=user.username, action=action,
        subject_type="senior" if senior_id else "call",
        subject_id=str(senior_id) if senior_id else None, now=runtime.clock.now(), detail=detail)
