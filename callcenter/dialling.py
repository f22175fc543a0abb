"""Placing one outbound call through the configured network."""

from __future__ import annotations

import logging

from callcenter import events, service
from callcenter.lifespan import callcenter_of
from callcenter.port import CallStatus
from runtime.context import Runtime

log = logging.getLogger(__name__)


async def place_call(runtime: Runtime, call_id: int) -> bool:
    """Ask the network to ring the number; False when it refused (a failed attempt)."""
    async with runtime.sessions() as session:
        call = await service.get_call(session, call_id)
        try:
            call.provider_sid = await callcenter_of(runtime).provider.place_call(
                call_id=call.id, to=call.to_number)
        except Exception:
            log.exception("placing call %s to %s failed", call.id, call.to_number)
            await service.record_status(session, call=call, status=CallStatus.FAILED,
                                        now=runtime.clock.now())
        await session.commit()
        events.publish_call(runtime.bus, call)
        return call.status != CallStatus.FAILED


async def dial_into_conference(runtime: Runtime, call_id: int, *, muted: bool) -> bool:
    """Ring a conference leg's number; answered, they join its conference. False when the
    network refused (the leg is then failed)."""
    async with runtime.sessions() as session:
        call = await service.get_call(session, call_id)
        assert call.conference is not None, "a conference leg names its conference"
        try:
            call.provider_sid = await callcenter_of(runtime).provider.dial_into_conference(
                call_id=call.id, to=call.to_number, conference=call.conference, muted=muted)
        except Exception:
            log.exception("dialling %s into %s failed", call.to_number, call.conference)
            await service.record_status(session, call=call, status=CallStatus.FAILED,
                                        now=runtime.clock.now())
        await session.commit()
        events.publish_call(runtime.bus, call)
        return call.status != CallStatus.FAILED
