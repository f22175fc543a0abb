"""Conference legs: more people on a live call, and calls an operator places themselves.

Every call that reaches an operator meets them in a conference named after the call. A new
party (an emergency contact, 120, a supervisor listening in, the operator's own phone) is an
outbound leg dialled into that conference; it is stored like any other leg, with the call it
joined as its parent. An operator's own call (from an incident, say) gets a conference of its
own, with the operator already on it: it never waits in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter import dialling, service
from callcenter.exceptions import (
    CallNotLiveError,
    MonitoringUnsupportedError,
    NoPhoneEndpointError,
    UnknownPurposeError,
)
from callcenter.lifespan import callcenter_of
from callcenter.models import CallLeg
from callcenter.port import CallStatus
from callcenter.routing.desk import phone_endpoint_of
from callcenter.twilio_adapter import conference_name
from runtime.context import Runtime

log = logging.getLogger(__name__)


class LegPurpose(StrEnum):
    """Why a conference leg was dialled."""

    OPERATOR_LEG = "operator_leg"
    CONTACT = "contact"
    EMERGENCY_120 = "emergency_120"
    SUPERVISOR_MONITOR = "supervisor_monitor"
    OPERATOR_CALL = "operator_call"


@dataclass(frozen=True, slots=True)
class PurposeRule:
    """What a purpose means for the leg: whether it joins a live call, and whether the person
    on it only listens."""

    joins_live_call: bool
    muted: bool


PURPOSES: dict[LegPurpose, PurposeRule] = {
    LegPurpose.OPERATOR_LEG: PurposeRule(joins_live_call=True, muted=False),
    LegPurpose.CONTACT: PurposeRule(joins_live_call=True, muted=False),
    LegPurpose.EMERGENCY_120: PurposeRule(joins_live_call=True, muted=False),
    LegPurpose.SUPERVISOR_MONITOR: PurposeRule(joins_live_call=True, muted=True),
    LegPurpose.OPERATOR_CALL: PurposeRule(joins_live_call=False, muted=False),
}


def parse_purpose(value: str, *, joins_live_call: bool) -> LegPurpose:
    """The purpose named by ``value``, if it fits the kind of leg asked for."""
    try:
        purpose = LegPurpose(value)
    except ValueError:
        raise UnknownPurposeError(f"no call purpose {value!r}") from None
    if PURPOSES[purpose].joins_live_call != joins_live_call:
        kind = "joins a live call" if PURPOSES[purpose].joins_live_call else "is a call of its own"
        raise UnknownPurposeError(f"purpose {value!r} {kind}")
    return purpose


def conference_of(call: CallLeg) -> str:
    """The conference where this call's caller and operator meet (a party leg's own
    conference is the one it joined)."""
    return call.conference or conference_name(call.id)


def is_live(call: CallLeg) -> bool:
    """Whether someone is on the call right now."""
    return call.ended_at is None and call.status == CallStatus.IN_PROGRESS


async def live_calls_among(session: AsyncSession, *, call_ids: Sequence[int]) -> list[int]:
    """Of these calls, in the order given, those someone is on now that are not a conference
    party's own leg (a call others can be added to)."""
    found = {call.id: call for call in (await session.scalars(
        select(CallLeg).where(CallLeg.id.in_(call_ids)))).all()}
    calls = [found.get(call_id) for call_id in call_ids]
    return [call.id for call in calls
            if call is not None and is_live(call) and call.parent_call_id is None]


async def add_party(runtime: Runtime, *, call_id: int, to: str, purpose: str, requested_by: str,
                    muted: bool = False, senior_id: int | None = None,
                    contact_position: int | None = None) -> CallLeg:
    """Dial ``to`` into the live call's conference; the new leg is stored and published.

    Raises CallNotFoundError, CallNotLiveError (the call has ended or is not yet answered),
    or UnknownPurposeError; nothing is stored then.
    """
    leg_purpose = parse_purpose(purpose, joins_live_call=True)
    async with runtime.sessions() as session:
        call = await service.get_call(session, call_id)
        if not is_live(call):
            raise CallNotLiveError(
                f"call {call_id} is not live (status {call.status}); nobody can join it")
    return await _dial_party(runtime, parent_id=call_id, to=to, purpose=leg_purpose,
                             requested_by=requested_by, muted=muted, senior_id=senior_id,
                             contact_position=contact_position)


async def call_out(runtime: Runtime, *, to: str, purpose: str, operator: str,
                   senior_id: int | None = None, contact_position: int | None = None,
                   case_id: int | None = None) -> CallLeg:
    """An operator's own call: ring ``to``; answered, they are straight on with ``operator``
    (never through the queue). The leg is stored and published. Where staff hear calls on
    their own phones, the operator's phone is rung into the same conference at once."""
    leg_purpose = parse_purpose(purpose, joins_live_call=False)
    async with runtime.sessions() as session:
        leg = _new_leg(runtime, to=to, purpose=leg_purpose, requested_by=operator,
                       conference=None, senior_id=senior_id, contact_position=contact_position)
        leg.operator = operator
        leg.case_id = case_id  # a call-back task's call shows among the case's attempts
        await _store(session, leg)
        leg.conference = conference_name(leg.id)
        await session.commit()
    await dialling.dial_into_conference(runtime, leg.id, muted=False)
    await _dial_operator(runtime, call_id=leg.id, operator=operator)
    return await _reload(runtime, leg.id)


class MonitorMode(StrEnum):
    """How a supervisor follows a live call."""

    LISTENING = "listening"  # their phone is dialled into the conference, muted
    WATCHING = "watching"  # the simulator carries no audio: a live read-only view of the call


@dataclass(frozen=True, slots=True)
class Monitoring:
    mode: MonitorMode
    call: CallLeg
    leg: CallLeg | None


async def monitor(runtime: Runtime, *, call_id: int, supervisor: str) -> Monitoring:
    """Let a supervisor follow a live call: listen muted where the network can add such a leg,
    watch it on the supervisor page on the simulator.

    Raises CallNotFoundError, CallNotLiveError, MonitoringUnsupportedError, or
    NoPhoneEndpointError (the supervisor has no phone to ring); nothing is dialled then.
    """
    provider = callcenter_of(runtime).provider
    async with runtime.sessions() as session:
        call = await service.get_call(session, call_id)
        endpoint = await phone_endpoint_of(session, supervisor)
    if not is_live(call):
        raise CallNotLiveError(
            f"call {call_id} is not live (status {call.status}); there is nothing to monitor")
    if not provider.supports_monitoring:
        if provider.name == "simulator":
            return Monitoring(MonitorMode.WATCHING, call, None)
        raise MonitoringUnsupportedError(
            f"the {provider.name} phone network cannot add a listening leg to a call")
    if endpoint is None:
        raise NoPhoneEndpointError(
            f"{supervisor} has no phone endpoint to ring: set one on their routing profile")
    leg = await _dial_party(runtime, parent_id=call_id, to=endpoint,
                            purpose=LegPurpose.SUPERVISOR_MONITOR, requested_by=supervisor,
                            muted=True)
    return Monitoring(MonitorMode.LISTENING, await _reload(runtime, call_id), leg)


async def connect_operator(runtime: Runtime, *, call_id: int, operator: str) -> None:
    """The operator has answered a waiting call: move the caller into the call's conference
    and, where staff hear calls on their own phones, ring the operator's phone into it."""
    provider = callcenter_of(runtime).provider
    async with runtime.sessions() as session:
        call = await service.get_call(session, call_id)
        call.conference = conference_of(call)
        await session.commit()
    if call.provider_sid:
        await provider.bridge_to_operator(call_sid=call.provider_sid, call_id=call.id,
                                          operator=operator)
    await _dial_operator(runtime, call_id=call.id, operator=operator)


async def _dial_operator(runtime: Runtime, *, call_id: int, operator: str) -> CallLeg | None:
    """The operator's own audio leg into the call's conference, if the network needs one."""
    if not callcenter_of(runtime).provider.dials_operators:
        return None
    async with runtime.sessions() as session:
        endpoint = await phone_endpoint_of(session, operator)
    if endpoint is None:
        log.warning("operator %s has no phone endpoint; call %s has no operator audio",
                    operator, call_id)
        return None
    return await _dial_party(runtime, parent_id=call_id, to=endpoint,
                             purpose=LegPurpose.OPERATOR_LEG, requested_by=operator)


async def _dial_party(runtime: Runtime, *, parent_id: int, to: str, purpose: LegPurpose,
                      requested_by: str, muted: bool = False, senior_id: int | None = None,
                      contact_position: int | None = None) -> CallLeg:
    async with runtime.sessions() as session:
        call = await service.get_call(session, parent_id)
        call.conference = conference_of(call)
        leg = _new_leg(runtime, to=to, purpose=purpose, requested_by=requested_by,
                       conference=call.conference, senior_id=senior_id or call.senior_id,
                       contact_position=contact_position)
        leg.parent_call_id = call.id
        if purpose == LegPurpose.OPERATOR_LEG:
            leg.operator = requested_by
        await _store(session, leg)
    await dialling.dial_into_conference(runtime, leg.id, muted=muted or PURPOSES[purpose].muted)
    return await _reload(runtime, leg.id)


def _new_leg(runtime: Runtime, *, to: str, purpose: LegPurpose, requested_by: str,
             conference: str | None, senior_id: int | None,
             contact_position: int | None) -> CallLeg:
    return CallLeg(
        provider=callcenter_of(runtime).provider.name, direction="outbound",
        purpose=purpose.value, from_number=runtime.settings.hotline_number, to_number=to,
        senior_id=senior_id, status=CallStatus.QUEUED, created_at=runtime.clock.now(),
        contact_position=contact_position, conference=conference, requested_by=requested_by,
        ivr_path=[], ivr_state={})


async def _store(session: AsyncSession, leg: CallLeg) -> None:
    session.add(leg)
    await session.flush()
    await session.commit()


async def _reload(runtime: Runtime, call_id: int) -> CallLeg:
    async with runtime.sessions() as session:
        return await service.get_call(session, call_id)
