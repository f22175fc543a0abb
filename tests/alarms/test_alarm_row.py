"""The queue row of an alarm says where in the home its device is."""

from __future__ import annotations

from alarms import events, flows
from devices import service as devices_service
from runtime.clock import ManualClock
from runtime.context import Runtime


async def test_an_alarm_row_carries_its_device_location(runtime: Runtime, senior_id: int,
                                                        clock: ManualClock) -> None:
    """A fall from the bathroom sensor shows 卫生间 in the row; an alarm without one shows ""."""
    async with runtime.sessions() as session:
        await devices_service.provision_device(session, model_id="anxin-pendant",
                                               senior_id=senior_id, location="卫生间",
                                               device_id="pendant-bath", now=clock.now())
        await session.commit()
    fall = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="fall",
                                          at=clock.now(), device_id="pendant-bath")
    missed = await flows.raise_and_announce(runtime, senior_id=senior_id,
                                            kind="missed_checkin", at=clock.now())
    async with runtime.sessions() as session:
        rows = await events.rows_of(session, [fall.alarm, missed.alarm])
    assert events.alarm_payload(fall.alarm, rows)["device_location"] == "卫生间"
    assert events.alarm_payload(missed.alarm, rows)["device_location"] == ""
