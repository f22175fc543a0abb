"""The ingest's broker port: messages stay with the broker until acknowledged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from config.settings import Settings
from devices.consumer import BrokerConsumer, ConsumerError
from devices.ingest import BrokerAddress
from devices.mosquitto import MosquittoProcess
from tests.devices.conftest import register_service

TOPIC = "anxin/v1/devices/port-1/event"


@pytest.fixture
def service(mqtt_settings: Settings, broker: MosquittoProcess) -> BrokerAddress:
    """The service account known to the test's Mosquitto, and how it logs in."""
    return register_service(mqtt_settings, broker)


async def publish(address: BrokerAddress, *payloads: bytes) -> None:
    async with address.client("anxin-test-publisher") as client:
        for payload in payloads:
            await client.publish(TOPIC, payload, qos=1)


async def test_unacknowledged_messages_come_again_and_acknowledged_ones_do_not(
        service: BrokerAddress) -> None:
    """Of a batch received, the acknowledged message is gone after a reconnect and the
    unacknowledged one is delivered again to the same persistent session."""
    address = service
    async with BrokerConsumer(address, client_id="anxin-test-port") as consumer:
        await consumer.subscribe(TOPIC)
    await publish(address, b"one", b"two")
    async with BrokerConsumer(address, client_id="anxin-test-port") as consumer:
        batch = await consumer.receive(10, linger=0.2)
        while len(batch) < 2:
            batch += await consumer.receive(10 - len(batch))
        assert [d.payload for d in batch] == [b"one", b"two"]
        consumer.acknowledge(batch[:1])
        assert consumer.publish(TOPIC.replace("event", "ack"), b"{}", qos=1)
    async with BrokerConsumer(address, client_id="anxin-test-port") as consumer:
        again = await consumer.receive(10, linger=0.5)
        assert [d.payload for d in again] == [b"two"]
        consumer.acknowledge(again)


async def test_a_wrong_password_is_a_consumer_error(service: BrokerAddress) -> None:
    """A refused CONNECT raises ConsumerError naming the refusal, not a hang."""
    address = replace(service, password="wrong")
    with pytest.raises(ConsumerError, match="refused"):
        async with BrokerConsumer(address, client_id="anxin-test-refused"):
            pass
