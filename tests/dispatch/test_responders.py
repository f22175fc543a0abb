"""An alarm case where nobody answered gets one urgent responder order, once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callcenter.models import CallCase
from config.settings import Settings
from dispatch.models import ServiceOrder
from dispatch.responders import send_responders
from runtime.context import Runtime


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The responder sweep is called by hand here."""
    return settings.model_copy(update={"run_background_tasks": False})


async def test_unreached_alarm_case_sends_one_responder(runtime: Runtime,
                                                        senior_id: int) -> None:
    """Senior and contacts unreached: an urgent emergency-responder order, not two."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        session.add_all([
            CallCase(kind="alarm_callback", state="closed", senior_id=senior_id, alarm_id=41,
                     number="", step=3, created_at=now, closed_at=now, outcome="unreached"),
            CallCase(kind="alarm_callback", state="closed", senior_id=senior_id, alarm_id=42,
                     number="", step=1, created_at=now, closed_at=now,
                     outcome="senior_reached"),
        ])
        await session.commit()
    first = await send_responders(runtime)
    again = await send_responders(runtime)
    assert len(first) == 1 and again == []
    async with runtime.sessions() as session:
        order = (await session.execute(select(ServiceOrder))).scalar_one()
    assert order.service == "emergency_responder" and order.urgency == "urgent"
    assert order.senior_id == senior_id and order.source == "alarm"
    assert "#41" in order.notes
