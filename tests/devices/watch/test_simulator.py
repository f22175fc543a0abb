"""The watch simulator speaks the protocol: its traffic and alarms arrive through the gateway."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import select

from alarms.models import Alarm
from devices.mosquitto import MosquittoProcess
from devices.watch import simulator
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.devices.conftest import sync_broker, wait_for
from tests.devices.watch.conftest import gateway_port
from tests.seniors.test_api import senior_body


async def test_simulated_watches_raise_sos_fall_and_removal_alarms(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess,
        clock: ManualClock) -> None:
    """Watches with the sos, fall and off_wrist scenarios raise those alarms through the
    gateway, and each simulated alarm is repeated until it was answered."""
    clock.current = datetime.now(UTC)  # the simulator stamps frames with the wall clock
    async with watch_runtime.sessions() as session:  # one senior wears all three
        await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=clock.now())
        await session.commit()
    watches = await simulator.ensure_watches(watch_runtime, count=3, scenario="sos")
    for watch, name in zip(watches, ("sos", "fall", "off_wrist"), strict=True):
        watch.scenario = simulator.WatchScenario(name, sos=0.5 if name == "sos" else 0,
                                                 fall=0.5 if name == "fall" else 0,
                                                 removed=0.5 if name == "off_wrist" else 0)
    await sync_broker(watch_runtime, broker)
    sent = await simulator.run_watches(watches, host="127.0.0.1",
                                       port=gateway_port(watch_runtime), rate=20, seconds=2)

    async def raised() -> bool:
        async with watch_runtime.sessions() as session:
            kinds = set((await session.execute(select(Alarm.kind))).scalars())
        return {"sos", "fall", "wristband_removed"} <= kinds

    await wait_for(raised)
    assert sent > 0
    again = await simulator.ensure_watches(watch_runtime, count=3, scenario="sos")
    assert [w.id for w in again] == [w.id for w in watches]


def test_a_wandering_watch_leaves_its_geofence() -> None:
    """The wander scenario drifts away from home and sends AL with the geofence bit."""
    watch = simulator.SimulatedWatch("8600000001", simulator.HOME,
                                     simulator.WATCH_SCENARIOS["wander"])
    contents = [simulator.next_content(watch, datetime.now(UTC)) for _ in range(200)]
    alarms = [c for c in contents if c.startswith("AL")]
    assert alarms and all(int(c.split(",")[16], 16) & simulator.LEFT_FENCE for c in alarms)
    assert watch.meters_away > 600
