"""The fleet simulator provisions devices for seniors and its traffic reaches the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import func, select

from devices import simulator
from devices.models import Device, DeviceReading, StoredDeviceEvent
from devices.mosquitto import MosquittoProcess
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.devices.conftest import sync_broker, wait_for


async def test_sos_scenario_traffic_is_stored_and_the_fleet_is_reused(
        mqtt_app: FastAPI, broker: MosquittoProcess, clock: ManualClock) -> None:
    """Three simulated devices send telemetry and SOS events; a second run reuses them."""
    runtime: Runtime = mqtt_app.state.runtime
    clock.current = datetime.now(UTC)  # the simulator stamps messages with the wall clock
    fleet = await simulator.ensure_fleet(runtime, count=3, scenario="sos")
    await sync_broker(runtime, broker)
    sent = await simulator.run_fleet(fleet, host="127.0.0.1", port=broker.port, rate=30,
                                     seconds=1.5)

    async def arrived() -> bool:
        async with runtime.sessions() as session:
            readings = await session.scalar(select(func.count()).select_from(DeviceReading))
            events = await session.scalar(select(func.count()).select_from(StoredDeviceEvent))
        return bool(readings) and bool(events)

    await wait_for(arrived)
    again = await simulator.ensure_fleet(runtime, count=3, scenario="sos")
    async with runtime.sessions() as session:
        devices = await session.scalar(select(func.count()).select_from(Device))
    assert sent > 0  # how many depends on the machine's speed; that they arrive does not
    assert devices == 3 and [d.id for d in again] == [d.id for d in fleet]
    assert json.loads((runtime.settings.data_dir / simulator.FLEET_FILE).read_text())
