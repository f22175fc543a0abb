"""Killing the ingest process mid-burst loses nothing and stores nothing twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

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

DEVICES = 5
BURST = 500

# These ingests read the wall clock, which checks each message's ts against it.
WALL_NOW = datetime.now(UTC).isoformat()


def start_ingest(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    assert settings.secret_key is not None and settings.biometric_key is not None
    env = {**os.environ, "ANXIN_DATA_DIR": str(settings.data_dir), "ANXIN_DEMO": "0",
           "ANXIN_DATABASE_URL": settings.resolved_database_url,
           "ANXIN_SECRET_KEY": settings.secret_key.get_secret_value(),
           "ANXIN_BIOMETRIC_KEY": settings.biometric_key.get_secret_value(),
           "ANXIN_MQTT_URL": settings.mqtt_url or "", "ANXIN_LOG_LEVEL": "WARNING",
           # small batches, so the kill finds received but uncommitted messages in the process
           "ANXIN_MQTT_INGEST_BATCH_SIZE": "20"}
    anxin = Path(sys.executable).with_name("anxin")
    return subprocess.Popen([str(anxin), "devices", "ingest"], env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


@pytest.fixture
async def registry_app(mqtt_settings: Settings,
                       broker: MosquittoProcess) -> AsyncIterator[FastAPI]:
    """The app for provisioning only; the ingest runs as its own process."""
    settings = mqtt_settings.model_copy(update={"mqtt_ingest_in_app": False})
    async for application in started_app(settings, broker):
        yield application


async def stored_events(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(
            select(func.count()).select_from(StoredDeviceEvent)) or 0)


async def test_sigkill_mid_burst_then_restart_stores_every_event_once(
        registry_app: FastAPI, broker: MosquittoProcess, tmp_path: Path) -> None:
    """500 SOS events; SIGKILL the ingest mid-burst, restart: all stored once, all acked."""
    runtime: Runtime = registry_app.state.runtime
    async with runtime.sessions() as session:
        await accounts_service.create_user(session, username="sup", display_name="Sup",
                                           role=Role.SUPERVISOR, password=TEST_PASSWORD,
                                           now=runtime.clock.now())
        await session.commit()
    transport = httpx.ASGITransport(app=registry_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
        token = (await http.post("/api/v1/auth/login", json={
            "username": "sup", "password": TEST_PASSWORD})).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        fleet = [await provision(http, headers, runtime, broker, model="anxin-pendant",
                                 id=f"pendant-{n}") for n in range(DEVICES)]
    log = tmp_path / "ingest.log"
    ingest = start_ingest(runtime.settings, log)
    acked: set[str] = set()
    try:
        clients = [device_client(broker, *creds) for creds in fleet]
        for client in clients:
            await client.__aenter__()
            await client.subscribe(f"anxin/v1/devices/{client.identifier}/ack", qos=1)

        async def collect(client: object) -> None:
            async for message in client.messages:  # type: ignore[attr-defined]
                acked.add(json.loads(bytes(message.payload))["event_id"])

        collectors = [asyncio.create_task(collect(c)) for c in clients]

        async def warmed_up() -> bool:
            # Until the ingest has subscribed, nobody keeps messages for it: resend (same id).
            await clients[0].publish("anxin/v1/devices/pendant-0/event", qos=1, payload=json.dumps(
                {"event_id": "warm-up", "ts": WALL_NOW, "type": "sos"}))
            await asyncio.sleep(0.2)
            return await stored_events(runtime) == 1

        await wait_for(warmed_up, within=30)

        async def burst() -> None:
            await asyncio.gather(*(
                clients[n % DEVICES].publish(
                    f"anxin/v1/devices/{clients[n % DEVICES].identifier}/event", qos=1,
                    payload=json.dumps({"event_id": f"sos-{n}", "type": "sos",
                                        "ts": WALL_NOW}))
                for n in range(BURST)))

        sending = asyncio.create_task(burst())

        async def some_stored() -> bool:
            return await stored_events(runtime) >= 60

        await wait_for(some_stored, within=30)
        ingest.send_signal(signal.SIGKILL)
        ingest.wait()
        at_kill = await stored_events(runtime)
        await sending
        ingest = start_ingest(runtime.settings, log)

        async def all_stored_and_acked() -> bool:
            return await stored_events(runtime) == BURST + 1 and len(acked) == BURST + 1

        try:
            await wait_for(all_stored_and_acked, within=40)
        except AssertionError:
            stored = await stored_events(runtime)
            raise AssertionError(f"stored {stored}, acked {len(acked)}, {at_kill} at the kill"
                                 ) from None
        for task in collectors:
            task.cancel()
        for client in clients:
            await client.__aexit__(None, None, None)
    finally:
        ingest.kill()
        ingest.wait()
    assert at_kill < BURST + 1, "the kill came after the burst was already stored"
    async with runtime.sessions() as session:
        ids = (await session.execute(select(StoredDeviceEvent.event_id))).scalars().all()
    assert sorted(ids) == sorted(["warm-up", *(f"sos-{n}" for n in range(BURST))])
    assert acked == set(ids)
