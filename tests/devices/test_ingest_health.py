"""The ingest watches itself: when the broker stops delivering to it, /readyz says so and the
ingest reconnects and subscribes again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from config.settings import Settings
from devices import events
from devices.ingest import Ingest
from devices.lifespan import devices_of
from runtime.bus import BusEvent
from runtime.clock import ManualClock
from tests.devices.conftest import wait_for
from tests.devices.test_embedded_broker import Embedded, embedded_app, send_sos


@pytest.fixture
async def embedded(settings: Settings, clock: ManualClock) -> AsyncIterator[Embedded]:
    """The app on its embedded broker, with an ingest that calls itself stalled after 2 s."""
    async for value in embedded_app(settings, clock, mqtt_ingest_stall_seconds=2.0):
        yield value


async def test_readyz_names_the_ingest_while_the_broker_delivers_nothing_then_recovers(
        embedded: Embedded) -> None:
    """With the service's ACL taken away the ingest receives nothing: /readyz answers 503
    naming it and `ingest.health` goes to supervisors; with the ACL back it resubscribes,
    /readyz is ready again and an SOS is stored."""
    if True:
        runtime = embedded.runtime
        devices = devices_of(runtime)
        assert devices.broker is not None
        ingest = devices.ingest
        assert isinstance(ingest, Ingest)
        username, password = await embedded.provision("pendant-h")
        assert (await embedded.http.get("/readyz")).status_code == 200
        seen: list[BusEvent] = []

        async def collect() -> None:
            async with runtime.bus.subscribe() as subscription:
                while True:
                    event = await subscription.next()
                    if event.topic == events.INGEST_HEALTH:
                        seen.append(event)

        collector = asyncio.create_task(collect())
        await asyncio.sleep(0)
        (devices.broker.directory / "service-acl").write_text("")  # the broker drops it all
        devices.broker.reload()

        async def not_ready() -> bool:
            return (await embedded.http.get("/readyz")).status_code == 503

        await wait_for(not_ready, within=15)
        body = (await embedded.http.get("/readyz")).json()
        assert body["ingest"].startswith("anxin-ingest not consuming: ")
        await devices.refresh_credentials(runtime)  # the ACL is written again

        async def ready() -> bool:
            return (await embedded.http.get("/readyz")).status_code == 200

        await wait_for(ready, within=30)
        async with embedded.device(username, password) as device:
            assert (await send_sos(device, username, "after-recovery"))["result"] == "stored"
        collector.cancel()
        states = [event.data["consuming"] for event in seen]
        assert states[0] is False and states[-1] is True
        assert all(event.roles == frozenset({"supervisor"}) for event in seen)
        assert all(event.data["ingest"] == "anxin-ingest" and event.data["reason"]
                   for event in seen)
