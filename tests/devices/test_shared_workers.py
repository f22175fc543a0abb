"""Two ingest workers on a shared subscription split the traffic and store each event once."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from devices import service
from devices.ingest import BatchOutcome, CommitObserver, Ingest
from devices.models import StoredDeviceEvent
from devices.mosquitto import MosquittoProcess
from runtime.context import Runtime
from tests.devices.conftest import device_client, service_address, sync_broker, wait_for

EVENTS = 200


async def test_shared_subscription_workers_split_the_work(runtime: Runtime,
                                                          broker: MosquittoProcess) -> None:
    """Both workers commit some events; together they store all of them exactly once."""
    async with runtime.sessions() as session:
        _, password = await service.provision_device(
            session, model_id="anxin-pendant", senior_id=None, location="",
            device_id="pendant-s", now=runtime.clock.now())
        await session.commit()
    await sync_broker(runtime, broker)
    address = service_address(runtime.settings, broker)
    counts = [0, 0]

    def counter(n: int) -> CommitObserver:
        def observe(outcome: BatchOutcome) -> None:
            counts[n] += len(outcome.stored)
        return observe

    workers = [Ingest(sessions=runtime.sessions, clock=runtime.clock, broker=address,
                      client_id=f"anxin-ingest-{n}", share_group="anxin-ingest", linger=0,
                      on_commit=counter(n))
               for n in range(2)]
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        for worker in workers:
            await asyncio.wait_for(worker.connected.wait(), 10)
        async with device_client(broker, "pendant-s", password) as device:
            for n in range(EVENTS):
                await device.publish("anxin/v1/devices/pendant-s/event", qos=1, payload=json.dumps(
                    {"event_id": f"e{n}", "ts": "2026-01-05T09:00:00+00:00", "type": "sos"}))

        async def all_stored() -> bool:
            async with runtime.sessions() as session:
                stored = await session.scalar(
                    select(func.count()).select_from(StoredDeviceEvent))
            return stored == EVENTS

        await wait_for(all_stored)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert all(count > 0 for count in counts) and sum(counts) == EVENTS
