"""The same call status reported twice at the same moment (the switch's event and the call's
own socket both saying "answered"): stored once, applied once, neither report fails."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from callcenter import flows, service
from callcenter.models import CallStatusChange
from callcenter.port import CallStatus
from runtime.context import Runtime
from tests.callcenter.test_outbound import legs, raise_sos


async def test_two_reports_of_an_answer_at_once_store_it_once(
        runtime: Runtime, senior_id: int) -> None:
    """Two transactions record "in progress" for one leg at once: one applies it, one finds
    it already stored; no duplicate-key error reaches either."""
    await raise_sos(runtime, senior_id)
    await flows.sweep(runtime)
    call_id = (await legs(runtime))[0].id

    async def report() -> bool:
        async with runtime.sessions() as session:
            call = await service.get_call(session, call_id)
            changed = await service.record_status(session, call=call,
                                                  status=CallStatus.IN_PROGRESS,
                                                  now=runtime.clock.now())
            await session.commit()
            return changed

    assert sorted(await asyncio.gather(report(), report())) == [False, True]
    async with runtime.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(CallStatusChange).where(
            CallStatusChange.call_id == call_id, CallStatusChange.status == CallStatus.IN_PROGRESS))
    assert stored == 1
