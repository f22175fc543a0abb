"""The embedded broker: Mosquitto as the app's supervised child (no ANXIN_MQTT_URL set)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiomqtt
import httpx
import pytest
from fastapi import FastAPI
from paho.mqtt.enums import MQTTProtocolVersion
from sqlalchemy import func, select

from accounts import service as accounts_service
from accounts.roles import Role
from config.settings import Settings
from dashboard.app import create_app
from devices.lifespan import devices_of
from devices.models import StoredDeviceEvent
from devices.mosquitto import free_port
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import TEST_PASSWORD
from tests.devices.conftest import wait_for

NOW = "2026-01-05T09:00:00+00:00"  # the ManualClock's start


@dataclass
class Embedded:
    """The running app, an HTTP client with a supervisor's token, and the device port."""

    app: FastAPI
    http: httpx.AsyncClient
    headers: dict[str, str]
    port: int

    @property
    def runtime(self) -> Runtime:
        value: Runtime = self.app.state.runtime
        return value

    async def provision(self, device_id: str, model: str = "anxin-pendant") -> tuple[str, str]:
        answer = await self.http.post("/api/v1/devices", headers=self.headers,
                                      json={"model": model, "id": device_id})
        assert answer.status_code == 201, answer.text
        return answer.json()["mqtt_username"], answer.json()["mqtt_password"]

    def device(self, username: str, password: str | None, *, identifier: str | None = None,
               **options: object) -> aiomqtt.Client:
        return aiomqtt.Client("127.0.0.1", self.port, username=username, password=password,
                              identifier=identifier or username, **options)  # type: ignore[arg-type]

    async def stored_events(self) -> int:
        async with self.runtime.sessions() as session:
            return int(await session.scalar(
                select(func.count()).select_from(StoredDeviceEvent)) or 0)


async def embedded_app(settings: Settings, clock: ManualClock | None,
                       **overrides: object) -> AsyncIterator[Embedded]:
    port = free_port()
    application = create_app(settings.model_copy(update={
        "mqtt_enabled": True, "mqtt_port": port, **overrides}), clock=clock)
    async with application.router.lifespan_context(application):
        runtime: Runtime = application.state.runtime
        async with runtime.sessions() as session:
            await accounts_service.create_user(session, username="sup", display_name="Sup",
                                               role=Role.SUPERVISOR, password=TEST_PASSWORD,
                                               now=runtime.clock.now())
            await session.commit()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
            token = (await http.post("/api/v1/auth/login", json={
                "username": "sup", "password": TEST_PASSWORD})).json()["access_token"]

            async def consuming() -> bool:
                devices = devices_of(runtime)
                return bool(devices.ingest and devices.ingest.health.consuming)

            await wait_for(consuming)
            yield Embedded(application, http, {"Authorization": f"Bearer {token}"}, port)


@pytest.fixture
async def embedded(settings: Settings, clock: ManualClock) -> AsyncIterator[Embedded]:
    async for value in embedded_app(settings, clock):
        yield value


async def send_sos(device: aiomqtt.Client, device_id: str, event_id: str) -> dict[str, str]:
    """Publish an SOS and return the server's application-level ack."""
    await device.subscribe(f"anxin/v1/devices/{device_id}/ack", qos=1)
    await device.publish(f"anxin/v1/devices/{device_id}/event", qos=1, payload=json.dumps(
        {"event_id": event_id, "ts": NOW, "type": "sos"}))
    async with asyncio.timeout(10):
        async for message in device.messages:
            ack: dict[str, str] = json.loads(bytes(message.payload))
            if ack["event_id"] == event_id:
                return ack
    raise AssertionError("unreachable")


async def closed_by_broker(device: aiomqtt.Client, within: float = 5.0) -> bool:
    """True when the broker ends the connection within ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            await anext(device.messages)
    except aiomqtt.MqttError:
        return True
    except TimeoutError:
        return False
    return False


async def test_embedded_broker_admits_new_devices_and_refuses_wrong_passwords(
        embedded: Embedded) -> None:
    """A device provisioned while the app runs connects, its SOS is stored and acknowledged;
    a wrong password is refused."""
    username, password = await embedded.provision("pendant-new")
    with pytest.raises(aiomqtt.MqttError):
        async with embedded.device(username, "wrong"):
            pass
    async with embedded.device(username, password) as device:
        assert await send_sos(device, username, "e1") == {"event_id": "e1", "result": "stored"}


async def test_the_embedded_broker_is_mosquitto_with_private_files(embedded: Embedded) -> None:
    """The child is Mosquitto with a generated config: no anonymous log-in, client id forced
    to the username, a packet limit, persistence and the queue limits, files 0600 in the data
    dir, the service on its own socket."""
    broker = devices_of(embedded.runtime).broker
    assert broker is not None
    config = (broker.directory / "mosquitto.conf").read_text()
    for line in ("allow_anonymous false", "use_username_as_clientid true",
                 "max_packet_size 32768", "persistence true", "max_queued_messages 100000",
                 f"listener {embedded.port} 127.0.0.1",
                 f"listener 0 {broker.service_socket}"):
        assert line in config
    assert os.readlink(f"/proc/{broker.process.process.pid}/exe").endswith(  # type: ignore[union-attr]
        "mosquitto")
    for name in ("passwords", "acl", "service-passwords", "service-acl"):
        assert stat.S_IMODE((broker.directory / name).stat().st_mode) == 0o600
    assert "anxin-server" not in (broker.directory / "passwords").read_text()


async def test_an_anonymous_connect_with_the_ingests_id_does_not_stop_ingest(
        embedded: Embedded) -> None:
    """Anonymous and wrong-password CONNECTs using the ingest's client id are refused and
    leave its session alone: an SOS sent afterwards is still stored."""
    username, password = await embedded.provision("pendant-a")
    for attacker in (embedded.device("", None, identifier="anxin-ingest"),
                     embedded.device(username, "wrong", identifier="anxin-ingest"),
                     aiomqtt.Client(devices_of(embedded.runtime).address.host,
                                    1883, transport="unix", identifier="anxin-ingest")):
        with pytest.raises(aiomqtt.MqttError):
            async with attacker:
                pass
    async with embedded.device(username, password) as device:
        assert (await send_sos(device, username, "after-attack"))["result"] == "stored"
    assert await embedded.stored_events() == 1


async def test_a_device_cannot_take_the_ingests_client_id(embedded: Embedded) -> None:
    """A device that asks for the ingest's client id gets its own username instead, so the
    ingest keeps consuming."""
    username, password = await embedded.provision("pendant-t")
    async with embedded.device(username, password, identifier="anxin-ingest") as device:
        assert (await send_sos(device, username, "as-ingest"))["result"] == "stored"
    async with embedded.device(username, password) as device:
        assert (await send_sos(device, username, "later"))["result"] == "stored"


async def test_a_wrong_password_with_a_devices_id_does_not_disconnect_the_device(
        embedded: Embedded) -> None:
    """The real device stays connected while someone tries its id with a wrong password."""
    username, password = await embedded.provision("pendant-w")
    async with embedded.device(username, password) as device:
        with pytest.raises(aiomqtt.MqttError):
            async with embedded.device(username, "wrong"):
                pass
        assert (await send_sos(device, username, "still-here"))["result"] == "stored"


async def test_an_mqtt5_device_connects_and_publishes(embedded: Embedded) -> None:
    """MQTT 5 (what `mosquitto_pub -V 5` speaks) gets a CONNACK, and its SOS is stored."""
    username, password = await embedded.provision("pendant-5")
    async with embedded.device(username, password,
                               protocol=MQTTProtocolVersion.MQTTv5) as device:
        assert (await send_sos(device, username, "v5"))["result"] == "stored"


async def test_a_device_does_not_receive_other_devices_retained_status(
        embedded: Embedded) -> None:
    """Another device's retained status, which the service sees, never reaches a device that
    subscribes to everything."""
    alice = await embedded.provision("pendant-ra")
    bob = await embedded.provision("pendant-rb")
    async with embedded.device(*alice) as device:
        await device.publish("anxin/v1/devices/pendant-ra/status", b'{"state": "online"}',
                             qos=1, retain=True)
    async with devices_of(embedded.runtime).address.client("anxin-test-spy") as spy:
        await spy.subscribe("anxin/v1/devices/pendant-ra/status", qos=1)
        async with asyncio.timeout(5):
            message = await anext(spy.messages)
        assert message.retain
    async with embedded.device(*bob) as device:
        await device.subscribe("anxin/v1/devices/#", qos=1)
        await device.subscribe("anxin/v1/devices/pendant-ra/status", qos=1)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.5):
                await anext(device.messages)


async def test_retiring_a_device_closes_its_live_connection(embedded: Embedded) -> None:
    """Retire: the device's open connection is closed at once, and it cannot log in again."""
    username, password = await embedded.provision("pendant-x")
    async with embedded.device(username, password) as device:
        await device.subscribe("anxin/v1/devices/pendant-x/ack", qos=1)
        answer = await embedded.http.post("/api/v1/devices/pendant-x/retire",
                                          headers=embedded.headers)
        assert answer.status_code == 200, answer.text
        assert await closed_by_broker(device)
    with pytest.raises(aiomqtt.MqttError):
        async with embedded.device(username, password):
            pass


async def test_new_credentials_close_the_connection_made_with_the_old_ones(
        embedded: Embedded) -> None:
    """Rotate: the connection made with the old password is closed; the new one works."""
    username, old = await embedded.provision("pendant-c")
    async with embedded.device(username, old) as device:
        await device.subscribe("anxin/v1/devices/pendant-c/ack", qos=1)
        answer = await embedded.http.post("/api/v1/devices/pendant-c/credentials",
                                          headers=embedded.headers)
        assert answer.status_code == 200, answer.text
        assert await closed_by_broker(device)
    async with embedded.device(username, answer.json()["mqtt_password"]) as device:
        assert (await send_sos(device, username, "new-pw"))["result"] == "stored"


async def test_the_broker_is_restarted_when_it_dies_and_stopped_on_shutdown(
        settings: Settings, clock: ManualClock) -> None:
    """Killed, the broker is started again and ingest resumes; on shutdown it is gone."""
    async for embedded in embedded_app(settings, clock):
        child = await kill_and_recover(embedded)
    assert child.poll() is not None


async def kill_and_recover(embedded: Embedded) -> subprocess.Popen[bytes]:
    """SIGKILL the broker, wait for the restart, send an SOS; returns the new child."""
    devices = devices_of(embedded.runtime)
    assert devices.broker is not None
    broker = devices.broker
    first = broker.process.process
    assert first is not None
    username, password = await embedded.provision("pendant-k")
    os.kill(first.pid, signal.SIGKILL)

    async def restarted() -> bool:
        return (broker.restarts == 1 and broker.process.running()
                and devices.ingest is not None and devices.ingest.connected.is_set())

    await wait_for(restarted, within=15)
    async with embedded.device(username, password) as device:
        assert (await send_sos(device, username, "after-restart"))["result"] == "stored"
    assert broker.process.process is not None
    return broker.process.process
