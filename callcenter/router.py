"""Operators' call API (queue, answer, hang up, cases, campaigns) and the simulated phone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from callcenter import campaigns, events, flows, service
from callcenter.exceptions import (
    CallNotFoundError,
    CallNotWaitingError,
    CampaignNotFoundError,
    NotYourCallError,
)
from callcenter.lifespan import callcenter_of
from callcenter.models import CallCase, CallLeg, TextMessage
from callcenter.port import EVENT_STATUS, CallAction, CallEventKind, CallStatus
from callcenter.schemas import (
    CallbackDone,
    CampaignIn,
    SimulatedDial,
    SimulatedEvent,
    SimulatedInput,
    parse_number,
)
from callcenter.simulator import new_sid
from runtime.context import Runtime
from runtime.deps import RuntimeDep, SessionDep
from seniors.models import SeniorPhone

CALL_STAFF = frozenset({Role.OPERATOR, Role.SUPERVISOR})
CAMPAIGN_STAFF = frozenset({Role.SUPERVISOR})
CallStaff = Annotated[StaffUser, Depends(require_roles(CALL_STAFF))]
CampaignStaff = Annotated[StaffUser, Depends(require_roles(CAMPAIGN_STAFF))]
AnyStaff = Annotated[StaffUser, Depends(require_roles(frozenset(Role)))]

router = APIRouter(prefix="/api/v1/calls", tags=["calls"])
simulator_router = APIRouter(prefix="/telephony/simulator", tags=["telephony simulator"])


def _translate(error: Exception) -> HTTPException:
    if isinstance(error, CallNotFoundError | CampaignNotFoundError):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(error))
    return HTTPException(status.HTTP_409_CONFLICT, str(error))


@router.get("/queue")
async def queue(user: CallStaff, session: SessionDep) -> list[dict[str, Any]]:
    """Waiting calls, most urgent and longest-waiting first."""
    waiting = await service.waiting_calls(session, for_operator=user.username)
    return [events.call_data(call) for call in waiting]


@router.get("")
async def recent(user: CallStaff, session: SessionDep, limit: int = 100) -> list[dict[str, Any]]:
    return [events.call_data(call) for call in await service.recent_calls(session, limit=limit)]


@router.get("/cases")
async def cases(user: CallStaff, session: SessionDep) -> list[dict[str, Any]]:
    """Outbound cases (call-backs, cascades, call-back tasks) with their attempts and texts."""
    rows = (await session.execute(select(CallCase).order_by(CallCase.id.desc()).limit(100)))
    found = []
    for case in rows.scalars().all():
        attempts = await flows.attempts_of(session, case.id)
        texts = (await session.execute(select(TextMessage).where(
            TextMessage.case_id == case.id).order_by(TextMessage.id))).scalars().all()
        found.append({
            "id": case.id, "kind": case.kind, "state": case.state, "senior_id": case.senior_id,
            "alarm_id": case.alarm_id, "number": case.number, "outcome": case.outcome,
            "attempts": [{"to": a.to_number, "contact_position": a.contact_position,
                          "status": a.status, "outcome": a.outcome} for a in attempts],
            "texts": [{"to": t.to_number, "reason": t.reason, "body": t.body} for t in texts],
        })
    return found


@router.post("/cases/{case_id}/done")
async def callback_done(case_id: int, body: CallbackDone, user: CallStaff, runtime: RuntimeDep,
                        session: SessionDep) -> dict[str, Any]:
    """An operator has made a requested call-back; the task closes with their outcome."""
    case = await session.get(CallCase, case_id)
    if case is None or case.kind != service.REQUESTED_CALLBACK or case.state != "open":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no open call-back task {case_id}")
    case.operator = user.username
    await flows.close_case(runtime, session, case, outcome=body.outcome)
    await _audit(session, runtime, user, "callback.done", case.senior_id, {"case": case.id})
    await session.commit()
    events.publish_case(runtime.bus, case)
    return {"id": case.id, "state": case.state, "outcome": case.outcome}


@router.get("/{call_id}")
async def one_call(call_id: int, user: CallStaff, session: SessionDep) -> dict[str, Any]:
    try:
        return events.call_data(await service.get_call(session, call_id))
    except CallNotFoundError as error:
        raise _translate(error) from error


@router.post("/{call_id}/answer")
async def answer(call_id: int, user: CallStaff, runtime: RuntimeDep,
                 session: SessionDep) -> dict[str, Any]:
    """The operator takes a waiting call; the caller is bridged to them."""
    try:
        call = await service.answer_call(session, call_id=call_id, operator=user.username,
                                         now=runtime.clock.now())
    except (CallNotFoundError, CallNotWaitingError) as error:
        raise _translate(error) from error
    await _audit(session, runtime, user, "call.answer", call.senior_id, {"call": call.id})
    await session.commit()
    events.publish_call(runtime.bus, call)
    if call.provider_sid:
        callcenter_of(runtime).spawn(callcenter_of(runtime).provider.bridge_to_operator(
            call_sid=call.provider_sid, call_id=call.id, operator=user.username))
    return events.call_data(call)


@router.post("/{call_id}/hangup")
async def hang_up(call_id: int, user: CallStaff, runtime: RuntimeDep,
                  session: SessionDep) -> dict[str, Any]:
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
    return events.call_data(call)


@router.post("/campaigns", status_code=201)
async def create_campaign(body: CampaignIn, user: CampaignStaff, runtime: RuntimeDep,
                          session: SessionDep) -> dict[str, Any]:
    """Schedule wellbeing calls to seniors living alone, or a weather warning to a district."""
    campaign = await campaigns.create_campaign(session, data=body, created_by=user.username,
                                               now=runtime.clock.now())
    await _audit(session, runtime, user, "campaign.create", None, {"campaign": campaign.id})
    await session.commit()
    return await campaigns.report(session, campaign_id=campaign.id)


@router.get("/campaigns/{campaign_id}")
async def campaign_report(campaign_id: int, user: CampaignStaff,
                          session: SessionDep) -> dict[str, Any]:
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


# The simulated phone: only when the simulator is the configured network.


def _simulator_only(runtime: Runtime) -> None:
    if runtime.settings.telephony != "simulator":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the telephony simulator is not enabled")


def _phone_answer(call: CallLeg, actions: tuple[CallAction, ...]) -> dict[str, Any]:
    return {"call": events.call_data(call), "actions": [events.action_data(a) for a in actions]}


@simulator_router.post("/calls", status_code=201)
async def simulated_dial(body: SimulatedDial, user: AnyStaff, runtime: RuntimeDep,
                         session: SessionDep) -> dict[str, Any]:
    """The phone page dials 12349."""
    _simulator_only(runtime)
    call, actions = await service.begin_inbound(
        session, provider="simulator", sid=new_sid("in"),
        from_number=parse_number(body.from_number), to_number=runtime.settings.hotline_number,
        devices=callcenter_of(runtime).devices, now=runtime.clock.now())
    await session.commit()
    events.publish_call(runtime.bus, call)
    return _phone_answer(call, actions)


@simulator_router.post("/calls/{call_id}/input")
async def simulated_input(call_id: int, body: SimulatedInput, user: AnyStaff,
                          runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    """A key press, spoken words, or silence (neither) on the phone page."""
    _simulator_only(runtime)
    try:
        actions = await flows.call_input(session, call_id=call_id, digits=body.digits,
                                         speech=body.speech, now=runtime.clock.now())
        call = await service.get_call(session, call_id)
    except CallNotFoundError as error:
        raise _translate(error) from error
    if call.outcome == "callback_requested":
        await service.record_status(session, call=call, status=CallStatus.COMPLETED,
                                    now=runtime.clock.now())
    await session.commit()
    events.publish_call(runtime.bus, call)
    return _phone_answer(call, actions)


@simulator_router.post("/calls/{call_id}/events")
async def simulated_event(call_id: int, body: SimulatedEvent, user: AnyStaff,
                          runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    """The phone rang, was answered, declined, rang out, or hung up."""
    _simulator_only(runtime)
    try:
        call = await service.get_call(session, call_id)
    except CallNotFoundError as error:
        raise _translate(error) from error
    new_status = EVENT_STATUS[CallEventKind(body.kind)]
    changed = await service.record_status(session, call=call, status=new_status,
                                          now=runtime.clock.now())
    actions: tuple[CallAction, ...] = ()
    if changed and new_status == CallStatus.IN_PROGRESS and call.direction == "outbound":
        actions = await flows.answered_actions(session, call=call, now=runtime.clock.now())
    await session.commit()
    events.publish_call(runtime.bus, call)
    if changed and flows.needs_follow_up(call):
        callcenter_of(runtime).spawn(flows.after_status(runtime, call.id))
    return _phone_answer(call, actions)


@simulator_router.get("/numbers")
async def simulated_numbers(user: AnyStaff, runtime: RuntimeDep,
                            session: SessionDep) -> list[dict[str, Any]]:
    """Numbers the phone page offers as caller IDs: a few seniors' phones."""
    _simulator_only(runtime)
    rows = await session.execute(select(SeniorPhone).order_by(SeniorPhone.senior_id).limit(12))
    return [{"number": p.number, "senior_id": p.senior_id} for p in rows.scalars().all()]
