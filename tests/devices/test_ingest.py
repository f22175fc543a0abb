"""The ingest against a real Mosquitto: stored once, acknowledged after commit, dead letters."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiomqtt
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select

from accounts.roles import Role
from devices.models import DeadLetter, Device, DeviceReading, StoredDeviceEvent
from devices.mosquitto import MosquittoProcess
from runtime.context import Runtime
from tests.devices.conftest import device_client, provision, service_address, wait_for

NOW = "2026-01-05T09:00:00+00:00"


async def count(runtime: Runtime, table: Any) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def runtime_of(mqtt_app: FastAPI) -> Runtime:
    value: Runtime = mqtt_app.state.runtime
    return value


@pytest.fixture
async def supervisor(mqtt_app: FastAPI, mqtt_client: httpx.AsyncClient,
                     runtime_of: Runtime) -> dict[str, str]:
    from accounts import service as accounts_service
    from tests.conftest import TEST_PASSWORD

    async with runtime_of.sessions() as session:
        await accounts_service.create_user(session, username="sup", display_name="Sup",
                                           role=Role.SUPERVISOR, password=TEST_PASSWORD,
                                           now=runtime_of.clock.now())
        await session.commit()
    answer = await mqtt_client.post("/api/v1/auth/login",
                                    json={"username": "sup", "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_event_stored_once_and_acknowledged_to_the_device(
        mqtt_client: httpx.AsyncClient, supervisor: dict[str, str], runtime_of: Runtime,
        broker: MosquittoProcess) -> None:
    """An SOS sent twice is stored once, the device gets an ack for each, and last_seen moves."""
    username, password = await provision(mqtt_client, supervisor, runtime_of, broker,
                                         model="anxin-pendant", id="pendant-1")
    event = json.dumps({"event_id": "e-1", "ts": NOW, "type": "sos"})
    acks: list[dict[str, Any]] = []
    await runtime_of.bus.settled()  # the provisioning's own event is delivered before we listen
    async with runtime_of.bus.subscribe() as feed, \
            device_client(broker, username, password) as device:
        await device.subscribe(f"anxin/v1/devices/{username}/ack", qos=1)
        await device.publish(f"anxin/v1/devices/{username}/event", event, qos=1)
        await device.publish(f"anxin/v1/devices/{username}/event", event, qos=1)
        async for message in device.messages:
            acks.append(json.loads(bytes(message.payload)))
            if len(acks) == 2:
                break
        bus_event = await asyncio.wait_for(feed.next(), 5)
    assert sorted(a["result"] for a in acks) == ["duplicate", "stored"]
    assert await count(runtime_of, StoredDeviceEvent) == 1
    assert bus_event.topic == "device.event" and bus_event.data["type"] == "sos"
    async with runtime_of.sessions() as session:
        device_row = await session.get(Device, username)
        assert device_row is not None and device_row.last_seen is not None


async def test_telemetry_and_wristband_keys_become_readings(
        mqtt_client: httpx.AsyncClient, supervisor: dict[str, str], runtime_of: Runtime,
        broker: MosquittoProcess) -> None:
    """Native telemetry and ThingsBoard wristband keys land as readings; panicButton is an SOS."""
    watch = await provision(mqtt_client, supervisor, runtime_of, broker,
                            model="anxin-watch", id="watch-1")
    band = await provision(mqtt_client, supervisor, runtime_of, broker,
                           model="tb-wristband", id="band-1")
    async with device_client(broker, *watch) as device:
        await device.publish("anxin/v1/devices/watch-1/telemetry", qos=1, payload=json.dumps(
            {"ts": NOW, "values": {"heart_rate": 71, "battery": 64}}))
    async with device_client(broker, *band) as device:
        await device.publish("anxin/v1/devices/band-1/telemetry", qos=1, payload=json.dumps(
            {"pulse": 88, "temperature": 36.4, "battery": 50, "noise": 30,
             "panicButton": True, "ts": 1767603600000}))

    async def stored() -> bool:
        return (await count(runtime_of, DeviceReading) == 6
                and await count(runtime_of, StoredDeviceEvent) == 1)

    await wait_for(stored)
    listing = (await mqtt_client.get("/api/v1/devices", headers=supervisor)).json()
    batteries = {d["id"]: (d["battery"], d["online"]) for d in listing}
    assert batteries == {"band-1": (50.0, True), "watch-1": (64.0, True)}


async def test_a_reading_delivered_twice_is_stored_once(
        mqtt_client: httpx.AsyncClient, supervisor: dict[str, str], runtime_of: Runtime,
        broker: MosquittoProcess) -> None:
    """The same telemetry arriving again (as after an ingest crash between its commit and its
    PUBACK) adds no rows; the next measurement does."""
    watch = await provision(mqtt_client, supervisor, runtime_of, broker,
                            model="anxin-watch", id="watch-2")
    first = json.dumps({"ts": NOW, "values": {"heart_rate": 71, "spo2": 97}})
    later = json.dumps({"ts": "2026-01-05T09:01:00+00:00", "values": {"heart_rate": 74}})
    async with device_client(broker, *watch) as device:
        for payload in (first, first, later):
            await device.publish("anxin/v1/devices/watch-2/telemetry", qos=1, payload=payload)

    async def later_stored() -> bool:
        async with runtime_of.sessions() as session:
            return bool(await session.scalar(select(func.count()).where(
                DeviceReading.device_id == "watch-2", DeviceReading.value == 74)))

    await wait_for(later_stored)
    async with runtime_of.sessions() as session:
        rows = (await session.execute(select(DeviceReading.metric, DeviceReading.value).where(
            DeviceReading.device_id == "watch-2").order_by(DeviceReading.id))).all()
    assert [tuple(row) for row in rows] == [("heart_rate", 71), ("spo2", 97), ("heart_rate", 74)]


async def test_bad_messages_become_dead_letters_with_reasons(
        mqtt_client: httpx.AsyncClient, supervisor: dict[str, str], runtime_of: Runtime,
        broker: MosquittoProcess) -> None:
    """Broken JSON, unknown metrics and a device missing from the registry are dead letters."""
    watch = await provision(mqtt_client, supervisor, runtime_of, broker,
                            model="anxin-watch", id="watch-2")
    ghost = await provision(mqtt_client, supervisor, runtime_of, broker,
                            model="door-sensor", id="ghost-1")
    async with runtime_of.sessions() as session:
        await session.execute(delete(Device).where(Device.id == "ghost-1"))
        await session.commit()
    async with device_client(broker, *watch) as device:
        await device.publish("anxin/v1/devices/watch-2/telemetry", b"{not json", qos=1)
        await device.publish("anxin/v1/devices/watch-2/telemetry", qos=1, payload=json.dumps(
            {"ts": NOW, "values": {"blood_alcohol": 0.1}}))
        await device.publish("anxin/v1/devices/watch-2/telemetry", qos=1, payload=json.dumps(
            {"ts": NOW, "values": {"heart_rate": 70}}))
    async with device_client(broker, *ghost) as device:
        await device.publish("anxin/v1/devices/ghost-1/event", qos=1, payload=json.dumps(
            {"event_id": "d1", "ts": NOW, "type": "door_open"}))

    async def three_dead() -> bool:
        return await count(runtime_of, DeadLetter) == 3

    await wait_for(three_dead)
    letters = (await mqtt_client.get("/api/v1/devices/dead-letters", headers=supervisor)).json()
    reasons = " | ".join(letter["reason"] for letter in letters)
    assert "Invalid JSON" in reasons
    assert "'blood_alcohol' is not reported by model anxin-watch" in reasons
    assert "unknown device 'ghost-1'" in reasons
    assert any(letter["payload_preview"] == "{not json" for letter in letters)
    assert await count(runtime_of, DeviceReading) == 1


async def test_broker_refuses_wrong_password_and_foreign_topics(
        mqtt_client: httpx.AsyncClient, supervisor: dict[str, str], runtime_of: Runtime,
        broker: MosquittoProcess) -> None:
    """A wrong password cannot connect; a device cannot publish under another device's id."""
    alice = await provision(mqtt_client, supervisor, runtime_of, broker,
                            model="anxin-pendant", id="pendant-a")
    await provision(mqtt_client, supervisor, runtime_of, broker,
                    model="anxin-pendant", id="pendant-b")
    with pytest.raises(aiomqtt.MqttError):
        async with device_client(broker, "pendant-a", "not-the-password"):
            pass
    async with service_address(runtime_of.settings, broker).client("anxin-spy") as spy:
        await spy.subscribe("anxin/v1/devices/#", qos=1)
        async with device_client(broker, *alice) as device:
            forged = json.dumps({"event_id": "f1", "ts": NOW, "type": "sos"})
            await device.publish("anxin/v1/devices/pendant-b/event", forged, qos=1)
            await device.publish("anxin/v1/devices/pendant-a/event", qos=1, payload=json.dumps(
                {"event_id": "own", "ts": NOW, "type": "sos"}))
        seen = []
        async for message in spy.messages:
            seen.append(str(message.topic))
            if str(message.topic).endswith("pendant-a/event"):
                break
    assert "anxin/v1/devices/pendant-b/event" not in seen
