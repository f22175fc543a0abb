"""A key, words or silence on any call: the menu, the waiting queue, or a campaign question.

Both networks come here: Twilio's gather webhook, and the simulator's phone page and its
silence timer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter import campaigns, service
from callcenter.port import CallAction


async def next_actions(session: AsyncSession, *, call_id: int, digits: str | None,
                       speech: str | None, now: datetime) -> tuple[CallAction, ...]:
    """What the caller hears after the input (neither digits nor speech: silence)."""
    call = await service.get_call(session, call_id)
    if call.campaign_id is not None and call.offered_at is None:
        return await campaigns.on_input(session, call=call, digits=digits, now=now)
    return await service.menu_input(session, call_id=call_id, digits=digits, speech=speech,
                                    now=now)
