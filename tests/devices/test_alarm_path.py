"""From a device's publish to an operator's alarm: the whole path through a real Mosquitto."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from accounts import service as accounts_service
from accounts.roles import Role
from alarms import flows as alarm_flows
from alarms.models import Alarm
from config.settings import Settings
from devices.lifespan import devices_of
from devices.models import Device
from devices.mosquitto import MosquittoProcess
from runtime.bus import BusEvent, Subscription
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.conftest import TEST_PASSWORD
from tests.devices.conftest import device_client, provision, started_app, wait_for
from tests.seniors.test_api import senior_body


@pytest.fixture
def runtime_of(mqtt_app: FastAPI) -> Runtime:
    value: Runtime = mqtt_app.state.runtime
    return value


@pytest.fixture
async def headers(mqtt_client: httpx.AsyncClient, runtime_of: Runtime) -> dict[str, str]:
    async with runtime_of.sessions() as session:
        await accounts_service.create_user(session, username="sup", display_name="Sup",
                                           role=Role.SUPERVISOR, password=TEST_PASSWORD,
                                           now=runtime_of.clock.now())
        await session.commit()
    answer = await mqtt_client.post("/api/v1/auth/login",
                                    json={"username": "sup", "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
async def senior_id(runtime_of: Runtime) -> int:
    async with runtime_of.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime_of.clock.now())
        await session.commit()
        return senior.id


async def open_alarms(runtime: Runtime) -> dict[str, Alarm]:
    async with runtime.sessions() as session:
        rows = await session.execute(select(Alarm).where(Alarm.state != "resolved"))
        return {alarm.kind: alarm for alarm in rows.scalars()}


async def test_pendant_sos_reaches_the_live_feed_as_a_p1_alarm(
    mqtt_client: httpx.AsyncClient, headers: dict[str, str], runtime_of: Runtime,
    broker: MosquittoProcess, senior_id: int,
) -> None:
    """A pendant's SOS over MQTT becomes a P1 alarm for its senior, announced on the feed."""
    username, password = await provision(mqtt_client, headers, runtime_of, broker,
                                         model="anxin-pendant", id="pendant-9",
                                         senior_id=senior_id)
    async with runtime_of.bus.subscribe() as feed, device_client(broker, username,
                                                                  password) as device:
        await device.publish(f"anxin/v1/devices/{username}/event", qos=1, payload=json.dumps(
            {"event_id": "sos-1", "ts": runtime_of.clock.now().isoformat(), "type": "sos"}))
        while (event := await feed.next()).topic != "alarm.raised":
            pass
    assert event.data["kind"] == "sos" and event.data["priority"] == 1
    assert event.data["senior_name"] == "王秀英"
    assert (await open_alarms(runtime_of))["sos"].device_id == "pendant-9"


async def test_watch_vitals_raise_and_clear_a_heart_rate_alarm(
    mqtt_client: httpx.AsyncClient, headers: dict[str, str], runtime_of: Runtime,
    broker: MosquittoProcess, senior_id: int,
) -> None:
    """Telemetry of 150 bpm opens a P1 heart-rate alarm; 0 bpm is a sensor fault, not a vital."""
    username, password = await provision(mqtt_client, headers, runtime_of, broker,
                                         model="anxin-watch", id="watch-9", senior_id=senior_id)
    async with device_client(broker, username, password) as device:
        for seq, value in enumerate((150, 0)):
            at = (runtime_of.clock.now() + timedelta(seconds=seq)).isoformat()
            await device.publish(f"anxin/v1/devices/{username}/telemetry", qos=1,
                                 payload=json.dumps({"ts": at, "seq": seq,
                                                     "values": {"heart_rate": value}}))

    async def both_seen() -> bool:
        return {"heart_rate", "sensor_fault"} <= set(await open_alarms(runtime_of))

    await wait_for(both_seen)
    alarms = await open_alarms(runtime_of)
    assert alarms["heart_rate"].priority == 1
    assert "sensor fault" in str(alarms["sensor_fault"].details["reason"])


async def test_silent_device_goes_offline_and_comes_back(
    mqtt_client: httpx.AsyncClient, headers: dict[str, str], runtime_of: Runtime,
    broker: MosquittoProcess, senior_id: int, clock: ManualClock,
) -> None:
    """A pendant silent past heartbeat + grace raises P4 device_offline; a heartbeat clears it."""
    await provision(mqtt_client, headers, runtime_of, broker, model="anxin-pendant",
                    id="pendant-quiet", senior_id=senior_id)
    async with runtime_of.sessions() as session:
        device = await session.get(Device, "pendant-quiet")
        assert device is not None
        device.last_seen = clock.now()
        await session.commit()
    clock.advance(599)
    await alarm_flows.check_time_rules_once(runtime_of)
    assert "device_offline" not in await open_alarms(runtime_of)
    clock.advance(2)
    await alarm_flows.check_time_rules_once(runtime_of)
    offline = (await open_alarms(runtime_of))["device_offline"]
    assert offline.priority == 4 and offline.details["devices"] == ["pendant-quiet"]
    async with runtime_of.sessions() as session:
        device = await session.get(Device, "pendant-quiet")
        assert device is not None
        device.last_seen = clock.now()
        await session.commit()
    await alarm_flows.check_time_rules_once(runtime_of)
    assert (await open_alarms(runtime_of))["device_offline"].condition_active is False


async def test_sos_stored_by_an_ingest_process_reaches_the_live_feed(
    mqtt_settings: Settings, broker: MosquittoProcess, clock: ManualClock,
) -> None:
    """With the ingest in a child process of the app, a pendant's SOS still becomes a P1 alarm
    on the live feed, and the device hears that it was stored."""
    settings = mqtt_settings.model_copy(update={"mqtt_ingest_processes": 1})
    async for application in started_app(settings, broker, clock=clock):
        runtime: Runtime = application.state.runtime
        async with runtime.sessions() as session:
            senior = await seniors_service.create_senior(
                session, data=SeniorCreate.model_validate(senior_body()), now=clock.now())
            await session.commit()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
            username, password = await provision(http, await _supervisor(http, runtime),
                                                 runtime, broker, model="anxin-pendant",
                                                 id="pendant-7", senior_id=senior.id)
        # The child process reads the wall clock; the event must be recent by that clock.
        event = {"event_id": "sos-7", "ts": datetime.now(UTC).isoformat(), "type": "sos"}
        async with runtime.bus.subscribe() as feed, device_client(broker, username,
                                                                  password) as device:
            await device.subscribe(f"anxin/v1/devices/{username}/ack", qos=1)
            raised = asyncio.create_task(_next_alarm(feed))
            # Like a real device: send again until acknowledged (the child may still be
            # subscribing); the store keeps one event per event id.
            while not raised.done():
                await device.publish(f"anxin/v1/devices/{username}/event", qos=1,
                                     payload=json.dumps(event))
                await asyncio.wait({raised}, timeout=1.0)
            ack = await anext(device.messages)
        assert raised.result().data["kind"] == "sos"
        assert raised.result().data["senior_id"] == senior.id
        assert json.loads(ack.payload)["event_id"] == "sos-7"
        assert devices_of(runtime).ingest is None  # not in the app


async def _next_alarm(feed: Subscription) -> BusEvent:
    while (event := await feed.next()).topic != "alarm.raised":
        pass
    return event


async def _supervisor(http: httpx.AsyncClient, runtime: Runtime) -> dict[str, str]:
    async with runtime.sessions() as session:
        await accounts_service.create_user(session, username="sup2", display_name="Sup",
                                           role=Role.SUPERVISOR, password=TEST_PASSWORD,
                                           now=runtime.clock.now())
        await session.commit()
    answer = await http.post("/api/v1/auth/login",
                             json={"username": "sup2", "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}
