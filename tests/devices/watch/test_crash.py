"""A SIGKILL of the ingest between a watch's alarm and its commit: the watch hears no AL, its
resend is stored once and answered."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select

from devices.lifespan import watch_gateway
from devices.models import StoredDeviceEvent
from devices.mosquitto import MosquittoProcess
from runtime.context import Runtime
from tests.devices.conftest import service_address, wait_for
from tests.devices.test_crash import registry_app, start_ingest
from tests.devices.watch.conftest import Watch, alarm, registered_watch

__all__ = ["registry_app"]  # the fixture, shared with the MQTT crash test


async def test_sigkill_before_the_commit_makes_the_watch_resend_and_it_is_stored_once(
        registry_app: FastAPI, broker: MosquittoProcess, tmp_path: Path) -> None:
    """Ingest killed: no AL reply; the watch's resend after the restart is answered AL and
    the alarm is stored once."""
    runtime: Runtime = registry_app.state.runtime
    await registered_watch(registry_app, broker)
    runtime.settings = runtime.settings.model_copy(update={"watch_ack_timeout_seconds": 1.5})
    gateway = watch_gateway(runtime, service_address(runtime.settings, broker))
    serving = asyncio.create_task(gateway.run())
    log = tmp_path / "ingest.log"
    ingest = start_ingest(runtime.settings, log)
    try:
        async def ready() -> bool:
            return gateway.listening.is_set() and gateway.uplink.connected.is_set()

        await wait_for(ready)
        watch = await Watch.connect(gateway.port)
        # Until the ingest has subscribed its session, LK goes nowhere: wait for a reply to
        # a first alarm, which proves the ingest consumes.
        first = alarm(datetime.now(UTC), battery=99)
        while True:
            await watch.send(first)
            if (reply := await watch.reply(within=3)) is not None and reply.content == b"AL":
                break
        ingest.send_signal(signal.SIGKILL)
        ingest.wait()
        sos = alarm(datetime.now(UTC), battery=42)
        await watch.send(sos)
        assert await watch.reply(within=3) is None  # nothing committed, nothing answered
        ingest = start_ingest(runtime.settings, log)
        for _ in range(20):  # the watch repeats its alarm until it is answered
            await watch.send(sos)
            if (reply := await watch.reply(within=3)) is not None:
                assert reply.content == b"AL"
                break
        else:
            raise AssertionError("the resent alarm was never answered")
        await watch.close()
    finally:
        ingest.kill()
        ingest.wait()
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
    async with runtime.sessions() as session:
        events = (await session.execute(select(StoredDeviceEvent))).scalars().all()
    assert len(events) == 2 and all(e.type == "sos" for e in events)
    assert events[1].detail["latitude"] == 39.9042
