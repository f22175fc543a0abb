"""Fixtures for the devices tests: a real Mosquitto per test and the app pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import aiomqtt
import httpx
import pytest
from fastapi import FastAPI

from config.settings import Settings
from dashboard.app import create_app
from devices import credentials, mosquitto, service
from devices.ingest import BrokerAddress
from devices.lifespan import devices_of
from devices.mosquitto import MosquittoProcess
from runtime.clock import ManualClock
from runtime.context import Runtime


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoProcess]:
    """Mosquitto as the app runs it: devices on a free loopback port, the service on a unix
    socket, persistence in the test's own directory."""
    directory = tmp_path / "mosquitto"
    directory.mkdir()
    mosquitto.export(directory, [], service_username=credentials.SERVICE_USERNAME)
    process = MosquittoProcess(directory, mosquitto.free_port())
    process.start()
    yield process
    process.stop()


@pytest.fixture
def mqtt_settings(settings: Settings, broker: MosquittoProcess) -> Settings:
    return settings.model_copy(update={"mqtt_enabled": True,
                                       "mqtt_url": f"unix://{broker.service_socket}"})


def service_address(settings: Settings, broker: MosquittoProcess) -> BrokerAddress:
    """How the service account reaches the test's Mosquitto (its unix socket)."""
    return BrokerAddress(str(broker.service_socket), 1883, credentials.SERVICE_USERNAME,
                         credentials.service_password(settings.data_dir), "unix")


async def sync_broker(runtime: Runtime, broker: MosquittoProcess) -> None:
    """Export the registry to Mosquitto's files and make it re-read them."""
    async with runtime.sessions() as session:
        users = await service.broker_users(
            session, service_password=credentials.service_password(runtime.settings.data_dir))
    mosquitto.export(broker.directory, users, service_username=credentials.SERVICE_USERNAME)
    broker.reload()


@pytest.fixture
async def mqtt_app(mqtt_settings: Settings, clock: ManualClock,
                   broker: MosquittoProcess) -> AsyncIterator[FastAPI]:
    """The app with its ingest connected to the test's Mosquitto."""
    async for application in started_app(mqtt_settings, broker, clock=clock):
        yield application


def register_service(settings: Settings, broker: MosquittoProcess) -> BrokerAddress:
    """Let the app's service account into the test's Mosquitto; how it logs in."""
    service_hash = credentials.hash_password(credentials.service_password(settings.data_dir))
    mosquitto.export(broker.directory, [credentials.BrokerUser(
        credentials.SERVICE_USERNAME, service_hash, is_service=True)],
        service_username=credentials.SERVICE_USERNAME)
    broker.reload()
    return service_address(settings, broker)


async def started_app(settings: Settings, broker: MosquittoProcess,
                      clock: ManualClock | None = None) -> AsyncIterator[FastAPI]:
    """The app running, Mosquitto knowing its registry, and the ingest subscribed."""
    register_service(settings, broker)
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        runtime: Runtime = application.state.runtime
        await sync_broker(runtime, broker)
        if settings.mqtt_ingest_in_app and not settings.mqtt_ingest_processes:
            async def subscribed() -> bool:
                devices = devices_of(runtime)
                return bool(devices.ingest and devices.ingest.connected.is_set())

            await wait_for(subscribed)
        yield application


@pytest.fixture
async def mqtt_client(mqtt_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mqtt_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
        yield http


def device_client(broker: MosquittoProcess, username: str, password: str,
                  **options: object) -> aiomqtt.Client:
    """An MQTT client logged in as a device (client id = username)."""
    return aiomqtt.Client("127.0.0.1", broker.port, username=username, password=password,
                          identifier=username, **options)  # type: ignore[arg-type]


async def provision(client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime,
                    broker: MosquittoProcess, **body: object) -> tuple[str, str]:
    """Provision a device over HTTP and let the broker know; returns (username, password)."""
    answer = await client.post("/api/v1/devices", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    await sync_broker(runtime, broker)
    return answer.json()["mqtt_username"], answer.json()["mqtt_password"]


async def wait_for(condition: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll until the condition holds (the ingest works on the wall clock, in batches)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
