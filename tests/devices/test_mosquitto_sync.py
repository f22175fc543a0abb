"""With ANXIN_MOSQUITTO_DIR and a pid file, Mosquitto learns registry changes by itself."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from accounts import service as accounts_service
from accounts.roles import Role
from config.settings import Settings
from devices.models import StoredDeviceEvent
from devices.mosquitto import MosquittoProcess
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import TEST_PASSWORD
from tests.devices.conftest import device_client, started_app, wait_for

NOW = "2026-01-05T09:00:00+00:00"


@pytest.fixture
async def synced_app(mqtt_settings: Settings, broker: MosquittoProcess, clock: ManualClock,
                     tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The app told where Mosquitto's files are and which pid to signal."""
    assert broker.process is not None
    pid_file = tmp_path / "mosquitto.pid"
    pid_file.write_text(f"{broker.process.pid}\n")
    settings = mqtt_settings.model_copy(update={"mosquitto_dir": broker.directory,
                                                "mosquitto_pid_file": pid_file})
    async for application in started_app(settings, broker, clock=clock):
        yield application


@pytest.fixture
async def http(synced_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=synced_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as client:
        yield client


async def can_connect(broker: MosquittoProcess, username: str, password: str) -> bool:
    try:
        async with device_client(broker, username, password):
            return True
    except aiomqtt.MqttError:
        return False


async def test_provisioned_device_connects_and_retired_device_is_refused_without_export(
        synced_app: FastAPI, http: httpx.AsyncClient, broker: MosquittoProcess) -> None:
    """Provisioning over HTTP lets the new device in at once; retiring it shuts it out."""
    runtime: Runtime = synced_app.state.runtime
    async with runtime.sessions() as session:
        await accounts_service.create_user(session, username="sup", display_name="Sup",
                                           role=Role.SUPERVISOR, password=TEST_PASSWORD,
                                           now=runtime.clock.now())
        await session.commit()
    login = await http.post("/api/v1/auth/login",
                            json={"username": "sup", "password": TEST_PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    answer = await http.post("/api/v1/devices", headers=headers,
                             json={"model": "anxin-pendant", "id": "pendant-new"})
    assert answer.status_code == 201, answer.text
    username, password = answer.json()["mqtt_username"], answer.json()["mqtt_password"]
    assert "pendant-new:" in (broker.directory / "passwords").read_text()

    async def connects() -> bool:
        return await can_connect(broker, username, password)

    await wait_for(connects, within=5)  # SIGHUP is handled asynchronously by Mosquitto
    async with device_client(broker, username, password) as device:
        await device.publish(f"anxin/v1/devices/{username}/event", qos=1, payload=json.dumps(
            {"event_id": "first-press", "ts": NOW, "type": "sos"}))

    async def stored() -> bool:
        async with runtime.sessions() as session:
            return (await session.scalar(select(StoredDeviceEvent.id).where(
                StoredDeviceEvent.event_id == "first-press"))) is not None

    await wait_for(stored)

    retired = await http.post(f"/api/v1/devices/{username}/retire", headers=headers)
    assert retired.status_code == 200, retired.text

    async def refused() -> bool:
        return not await can_connect(broker, username, password)

    await wait_for(refused, within=5)
    assert "pendant-new:" not in (broker.directory / "passwords").read_text()
