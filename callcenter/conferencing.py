"""Conference legs: more people on a live call, and calls an operator places themselves.

Every call that reaches an operator meets them in a conference named after the call. A new
party (an emergency contact, 120, a supervisor listening in, the operator's own phone) is an
outbound leg dialled into that conference; it is stored like any other leg, with the call it
joined as its parent. An operator's own call (from an incident, say) gets a conference of its
own, with the operator already on it: it never waits in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter import dialling, service
from callcenter.exceptions import CallNotLiveError, UnknownPurposeError
from callcenter.lifespan import callcenter_of
from callcenter.models import CallLeg
from callcenter.port import CallStatus
from callcenter.twilio_adapter import conference_name
from runtime.context import Runtime


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
        if call.conference is None:
            call.conference = conference_of(call)
        leg = _new_leg(runtime, to=to, purpose=leg_purpose, requested_by=requested_by,
                       conference=call.conference, senior_id=senior_id or call.senior_id,
                       contact_position=contact_position)
        leg.parent_call_id = call.id
        await _store(session, leg)
    await dialling.dial_into_conference(
        runtime, leg.id, muted=muted or PURPOSES[leg_purpose].muted)
    return await _reload(runtime, leg.id)


async def call_out(runtime: Runtime, *, to: str, purpose: str, operator: str,
                   senior_id: int | None = None,
                   contact_position: int | None = None) -> CallLeg:
    """An operator's own call: ring ``to``; answered, they are straight on with ``operator``
    (never through the queue). The leg is stored and published."""
    leg_purpose = parse_purpose(purpose, joins_live_call=False)
    async with runtime.sessions() as session:
        leg = _new_leg(runtime, to=to, purpose=leg_purpose, requested_by=operator,
                       conference=None, senior_id=senior_id, contact_position=contact_position)
        leg.operator = operator
        await _store(session, leg)
        leg.conference = conference_name(leg.id)
        await session.commit()
    await dialling.dial_into_conference(runtime, leg.id, muted=False)
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
