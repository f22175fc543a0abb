"""The gateway's side of the MQTT contract: it publishes as each watch through the service
account and hears the ingest's ``ack`` for each event it published.

Publishing does not wait for the broker's PUBACK (paho keeps QoS 1 messages in flight and
resends them); what the gateway waits for is the ingest's ``ack`` after the commit, and only
for alarms. One connection serves every watch.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from devices.consumer import BrokerConsumer, ConsumerError
from devices.ingest import BrokerAddress
from devices.topics import PREFIX, Channel, topic_for
from devices.watch.messages import Decoded, WatchEvent
from devices.watch.relay import COMMANDS_TOPIC, RelayedCommand

log = logging.getLogger(__name__)
CLIENT_ID = "anxin-watch-gateway"
ACK_SUBSCRIPTION = f"{PREFIX}/+/{Channel.ACK.value}"
RECONNECT_PAUSE_SECONDS = (0.5, 15.0)
ACKS_PER_READ = 500


class UplinkDown(Exception):
    """The broker connection is down; the watch's frame is not answered and will come again."""


class Uplink:
    """One service connection for every watch, with a reconnect loop (``run``)."""

    def __init__(self, broker: BrokerAddress, *, client_id: str = CLIENT_ID) -> None:
        self.broker = broker
        self.client_id = client_id
        self._client: BrokerConsumer | None = None
        self.connected = asyncio.Event()
        self._acks: dict[tuple[str, str], asyncio.Future[str]] = {}
        # The gateway's hand for commands relayed from other processes (devices/watch/relay.py).
        self.on_command: Callable[[RelayedCommand], None] | None = None

    async def run(self) -> None:
        pause = RECONNECT_PAUSE_SECONDS[0]
        while True:
            try:
                async with BrokerConsumer(self.broker, client_id=self.client_id,
                                          clean_session=True) as client:
                    await client.subscribe(ACK_SUBSCRIPTION, qos=1)
                    await client.subscribe(COMMANDS_TOPIC, qos=1)
                    self._client = client
                    self.connected.set()
                    pause = RECONNECT_PAUSE_SECONDS[0]
                    while True:
                        acks = await client.receive(ACKS_PER_READ)
                        for ack in acks:
                            self._hear(ack.topic, ack.payload)
                        client.acknowledge(acks)
            except (ConsumerError, OSError) as error:
                log.warning("watch gateway lost the broker (%s); reconnecting in %.1f s",
                            error, pause)
            finally:
                self._client = None
                self.connected.clear()
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECONNECT_PAUSE_SECONDS[1])

    def _hear(self, topic: str, payload: bytes) -> None:
        if topic == COMMANDS_TOPIC:
            command = RelayedCommand.decode(payload)
            if command is not None and self.on_command is not None:
                self.on_command(command)
            return
        device_id = topic.split("/")[3]
        try:
            body = json.loads(payload)
            key = (device_id, str(body["event_id"]))
        except (ValueError, KeyError, TypeError):
            return  # not an ack of ours
        waiter = self._acks.get(key)
        if waiter is not None and not waiter.done():
            waiter.set_result(str(body.get("result", "stored")))

    def _publish(self, topic: str, payload: dict[str, Any]) -> None:
        client = self._client
        if client is None or not client.publish(topic, json.dumps(payload), qos=1):
            raise UplinkDown("no broker connection")

    def publish_reply(self, topic: str, payload: bytes) -> None:
        """An answer to a relayed command; with the broker down the requester's own wait
        runs out, so this one is logged, not raised."""
        client = self._client
        if client is None or not client.publish(topic, payload, qos=1):
            log.warning("watch gateway could not answer a relayed command (no broker)")

    def telemetry(self, device_id: str, decoded: Decoded) -> None:
        if decoded.readings:
            self._publish(topic_for(device_id, Channel.TELEMETRY),
                          {"ts": decoded.at.isoformat(), "values": decoded.readings})

    async def event(self, device_id: str, event: WatchEvent, *, within: float,
                    sent_at: float | None = None) -> str | None:
        """Publish the event and wait for its ack: the result, or None after ``within`` s."""
        key = (device_id, event.event_id)
        waiter = self._acks.get(key)
        if waiter is None or waiter.done():
            waiter = self._acks[key] = asyncio.get_running_loop().create_future()
        payload: dict[str, Any] = {"event_id": event.event_id, "ts": event.at.isoformat(),
                                   "type": event.type, "detail": event.detail}
        if sent_at is not None:
            payload["sent_at"] = sent_at
        try:
            self._publish(topic_for(device_id, Channel.EVENT), payload)
            return await asyncio.wait_for(asyncio.shield(waiter), within)
        except TimeoutError:
            return None
        finally:
            if waiter.done() and self._acks.get(key) is waiter:
                del self._acks[key]
