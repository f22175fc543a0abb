"""Restarting Mosquitto (persistence on) in the middle of a burst loses nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from accounts import service as accounts_service
from accounts.roles import Role
from config.settings import Settings
from devices.models import StoredDeviceEvent
from devices.mosquitto import MosquittoProcess
from runtime.context import Runtime
from tests.conftest import TEST_PASSWORD
from tests.devices.conftest import device_client, provision, started_app, wait_for

BURST = 1500

# These ingests read the wall clock, which checks each message's ts against it.
WALL_NOW = datetime.now(UTC).isoformat()


@pytest.fixture
async def slow_ingest_app(mqtt_settings: Settings,
                          broker: MosquittoProcess) -> AsyncIterator[FastAPI]:
    """The app with an ingest that commits one message at a time, so a backlog builds up (the
    ingest on paho's own API drains ten at a time faster than a device can publish)."""
    settings = mqtt_settings.model_copy(update={"mqtt_ingest_batch_size": 1})
    async for application in started_app(settings, broker):
        yield application


async def stored_events(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(
            select(func.count()).select_from(StoredDeviceEvent)) or 0)


async def test_broker_restart_mid_burst_loses_nothing(slow_ingest_app: FastAPI,
                                                      broker: MosquittoProcess) -> None:
    """Events the broker accepted survive its restart and are all stored once."""
    runtime: Runtime = slow_ingest_app.state.runtime
    async with runtime.sessions() as session:
        await accounts_service.create_user(session, username="sup", display_name="Sup",
                                           role=Role.SUPERVISOR, password=TEST_PASSWORD,
                                           now=runtime.clock.now())
        await session.commit()
    transport = httpx.ASGITransport(app=slow_ingest_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
        token = (await http.post("/api/v1/auth/login", json={
            "username": "sup", "password": TEST_PASSWORD})).json()["access_token"]
        creds = await provision(http, {"Authorization": f"Bearer {token}"}, runtime, broker,
                                model="anxin-pendant", id="pendant-r")
    async with device_client(broker, *creds) as device:
        await asyncio.gather(*(
            device.publish("anxin/v1/devices/pendant-r/event", qos=1, payload=json.dumps(
                {"event_id": f"sos-{n}", "ts": WALL_NOW, "type": "sos"}))
            for n in range(BURST)))
    broker.stop()
    at_restart = await stored_events(runtime)
    broker.start()

    async def all_stored() -> bool:
        return await stored_events(runtime) == BURST

    await wait_for(all_stored, within=40)
    assert at_restart < BURST, "the restart came after everything was stored"
