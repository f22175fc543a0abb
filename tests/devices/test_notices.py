"""After-commit notices from an ingest in another process, over a real Mosquitto."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from amqtt.contexts import Action

from config.settings import Settings
from devices import credentials, mosquitto
from devices.broker_plugins import may_use_topic
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
    return BrokerAddress("127.0.0.1", broker.port, credentials.SERVICE_USERNAME, password)


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


def test_only_the_service_may_use_internal_topics() -> None:
    """The embedded broker lets the service publish and read notices, never a device."""
    service = credentials.BrokerUser(credentials.SERVICE_USERNAME, "-", is_service=True)
    device = credentials.BrokerUser("pendant-1", "-")
    assert may_use_topic(service, topic=STORED_TOPIC, action=Action.PUBLISH)
    assert may_use_topic(service, topic=STORED_TOPIC, action=Action.SUBSCRIBE)
    assert not may_use_topic(device, topic=STORED_TOPIC, action=Action.PUBLISH)
    assert not may_use_topic(device, topic=STORED_TOPIC, action=Action.SUBSCRIBE)
