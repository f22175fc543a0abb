"""The simulated phone's API: dial 12349, press keys, and answer or refuse system calls.

Only when ``ANXIN_TELEPHONY=simulator``; the demo's phone page and the tests use it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from callcenter import events, flows, service, simulated_calls
from callcenter.exceptions import CallNotFoundError
from callcenter.lifespan import CallCenterDep
from callcenter.models import CallLeg
from callcenter.port import EVENT_STATUS, CallAction, CallEventKind, CallStatus
from callcenter.recordings import flows as recordings
from callcenter.schemas import (
    PhoneAnswer,
    PhoneNumber,
    SimulatedDial,
    SimulatedEvent,
    SimulatedInput,
    parse_number,
)
from callcenter.simulator import new_sid
from runtime.context import Runtime
from runtime.deps import RuntimeDep, SessionDep
from seniors import service as seniors_service
from storage.bounds import RowId

router = APIRouter(prefix="/telephony/simulator", tags=["telephony simulator"])
AnyStaff = Annotated[StaffUser, Depends(require_roles(frozenset(Role)))]


def _simulator_only(runtime: Runtime) -> None:
    if runtime.settings.telephony != "simulator":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the telephony simulator is not enabled")


def _phone_answer(call: CallLeg, actions: tuple[CallAction, ...]) -> PhoneAnswer:
    return PhoneAnswer(call=events.call_out(call),
                       actions=[events.action_data(a) for a in actions])


@router.post("/calls", status_code=201)
async def simulated_dial(body: SimulatedDial, user: AnyStaff, runtime: RuntimeDep,
                         callcenter: CallCenterDep, session: SessionDep) -> PhoneAnswer:
    """The phone page dials 12349."""
    _simulator_only(runtime)
    call, actions = await service.begin_inbound(
        session, provider="simulator", sid=new_sid("in"),
        from_number=parse_number(body.from_number),
        to_number=body.to_number or runtime.settings.hotline_number,
        devices=callcenter.devices, now=runtime.clock.now())
    await session.commit()
    actions = recordings.with_notice(runtime, call, actions)
    simulated_calls.listen(runtime, call, actions)
    events.publish_call(runtime.bus, call)
    recordings.start_after_notice(runtime, call)
    return _phone_answer(call, actions)


@router.post("/calls/{call_id}/input")
async def simulated_input(call_id: RowId, body: SimulatedInput, user: AnyStaff,
                          runtime: RuntimeDep) -> PhoneAnswer:
    """A key press, spoken words, or silence (neither) on the phone page; silence also comes
    by itself once a prompt's Gather timeout has passed."""
    _simulator_only(runtime)
    try:
        call, actions = await simulated_calls.send_input(
            runtime, call_id=call_id, digits=body.digits, speech=body.speech)
    except CallNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    return _phone_answer(call, actions)


@router.post("/calls/{call_id}/events")
async def simulated_event(call_id: RowId, body: SimulatedEvent, user: AnyStaff,
                          runtime: RuntimeDep, callcenter: CallCenterDep,
                          session: SessionDep) -> PhoneAnswer:
    """The phone rang, was answered, declined, rang out, or hung up."""
    _simulator_only(runtime)
    async with callcenter.phone_lock:  # not in the middle of a silence step
        try:
            call = await service.get_call(session, call_id)
        except CallNotFoundError as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
        new_status = EVENT_STATUS[CallEventKind(body.kind)]
        changed = await service.record_status(session, call=call, status=new_status,
                                              now=runtime.clock.now())
        actions: tuple[CallAction, ...] = ()
        answered = changed and new_status == CallStatus.IN_PROGRESS \
            and call.direction == "outbound"
        if answered:
            actions = recordings.with_notice(runtime, call, await flows.answered_actions(
                session, call=call, now=runtime.clock.now()))
        await session.commit()
        if answered:
            recordings.start_after_notice(runtime, call)
        if actions or call.ended_at is not None:
            simulated_calls.listen(runtime, call, actions)
    events.publish_call(runtime.bus, call)
    if changed and flows.needs_follow_up(call):
        callcenter.spawn(flows.after_status(runtime, call.id))
    return _phone_answer(call, actions)


@router.get("/numbers")
async def simulated_numbers(user: AnyStaff, runtime: RuntimeDep,
                            session: SessionDep) -> list[PhoneNumber]:
    """Numbers the phone page offers as caller IDs: a few seniors' phones."""
    _simulator_only(runtime)
    return [PhoneNumber(number=number, senior_id=senior_id) for senior_id, number
            in await seniors_service.sample_numbers(session, limit=12)]
