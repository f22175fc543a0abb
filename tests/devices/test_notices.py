"""After-commit notices from an ingest in another process, over a real Mosquitto."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiomqtt
import pytest

from config.settings import Settings
from devices import credentials, mosquitto
from devices.ingest import BatchOutcome, BrokerAddress
from devices.mosquitto import MosquittoProcess
from devices.notices import STORED_TOPIC, StoredNotifier, watch_stored
from devices.telemetry import DeviceEvent


def _service_address(settings: Settings, broker: MosquittoProcess) -> BrokerAddress:
    password = credentials.service_password(settings.data_dir)
    mosquitto.export(broker.directory, [credentials.BrokerUser(
        credentials.SERVICE_USERNAME, credentials.hash_password(password), is_service=True)],
        service_username=credentials.SERVICE_USERNAME)
    broker.reload()
    return BrokerAddress(str(broker.service_socket), 1883, credentials.SERVICE_USERNAME,
                         password, "unix")


async def test_a_commit_with_new_events_wakes_the_watcher(settings: Settings,
                                                          broker: MosquittoProcess) -> None:
    """A watcher is woken once when it connects, then again for a commit that stored an
    event."""
    address = _service_address(settings, broker)
    wakes: asyncio.Queue[None] = asyncio.Queue()
    notifier = StoredNotifier(address, client_id="anxin-test-notifier")
    async with asyncio.TaskGroup() as group:
        watcher = group.create_task(watch_stored(address, client_id="anxin-test-watch",
                                                 wake=lambda: wakes.put_nowait(None)))
        publisher = group.create_task(notifier.run())
        await asyncio.wait_for(wakes.get(), 10)  # connected: look for anything missed
        event = DeviceEvent(device_id="pendant-1", event_id="e-1", type="sos",
                            occurred_at=datetime(2026, 1, 5, tzinfo=UTC))
        notifier(BatchOutcome(new_events=[(event, 1)]))
        await asyncio.wait_for(wakes.get(), 10)
        watcher.cancel()
        publisher.cancel()


async def test_only_the_service_may_use_internal_topics(settings: Settings,
                                                      broker: MosquittoProcess) -> None:
    """A device can neither read the service's notices nor publish one that the service
    receives."""
    address = _service_address(settings, broker)
    password = "device-secret"
    mosquitto.export(broker.directory, [
        credentials.BrokerUser(credentials.SERVICE_USERNAME,
                               credentials.hash_password(address.password), is_service=True),
        credentials.BrokerUser("pendant-1", credentials.hash_password(password))],
        service_username=credentials.SERVICE_USERNAME)
    broker.reload()
    async with address.client("anxin-test-watch") as service, aiomqtt.Client(
            "127.0.0.1", broker.port, username="pendant-1", password=password,
            identifier="pendant-1") as device:
        await service.subscribe(STORED_TOPIC, qos=1)
        await device.subscribe(STORED_TOPIC, qos=1)
        await device.publish(STORED_TOPIC, b'{"events": 99}', qos=1)  # dropped by the ACL
        await service.publish(STORED_TOPIC, b'{"events": 1}', qos=1)
        async for message in service.messages:
            assert message.payload == b'{"events": 1}'
            break
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1):
                await anext(device.messages)
