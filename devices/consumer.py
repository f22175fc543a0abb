"""The ingest's port to the broker: receive a batch of QoS 1 messages, acknowledge them after
the commit, publish small replies. Built on paho-mqtt's public API (``manual_ack=True``,
``ack``, the external-loop socket callbacks), driven by the asyncio loop.

A message received here is not acknowledged to the broker until ``acknowledge`` is called for
it, so a crash before then leaves it with the broker, which sends it again to the same
persistent session (fixed client id, clean session off).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

if TYPE_CHECKING:
    from devices.ingest import BrokerAddress

log = logging.getLogger(__name__)
CONNECT_SECONDS = 10.0
MISC_SECONDS = 1.0  # paho's keep-alive and retry housekeeping


class ConsumerError(Exception):
    """The broker connection failed, was refused or was lost; the text says which."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message from the broker, to acknowledge (by ``mid``) once it is committed."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False
    mid: int = 0


class BrokerConsumer:
    """An async context manager: connected on entry, disconnected on exit."""

    def __init__(self, address: BrokerAddress, *, client_id: str, clean_session: bool = False,
                 keepalive: int = 30, max_inflight: int = 1000) -> None:
        self.address = address
        self.keepalive = keepalive
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                   clean_session=clean_session, manual_ack=True,
                                   transport=address.transport)
        self._client.username_pw_set(address.username, address.password)
        self._client.max_inflight_messages_set(max_inflight)
        self._client.max_queued_messages_set(0)  # unbounded: acks must never be dropped
        self._queue: deque[Delivery] = deque()
        self._arrived = asyncio.Event()
        self._lost: str | None = None
        self._connected: asyncio.Future[None] | None = None
        self._subscribing: dict[int, asyncio.Future[list[Any]]] = {}
        self._fd: int | None = None
        self._misc: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self._wire()

    def _wire(self) -> None:
        client = self._client
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_socket_open = self._threadsafe(self._on_socket_open)
        client.on_socket_close = self._threadsafe(self._on_socket_close)
        client.on_socket_register_write = self._threadsafe(self._on_register_write)
        client.on_socket_unregister_write = self._threadsafe(self._on_unregister_write)

    def _threadsafe(self, callback: Any) -> Any:
        """paho's connect runs in a worker thread (it blocks); socket callbacks made there are
        handed to the loop, those made on the loop run at once."""
        def call(client: mqtt.Client, userdata: object, sock: socket.socket) -> None:
            fd = sock.fileno()
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is self._loop:
                callback(fd)
            else:
                self._loop.call_soon_threadsafe(callback, fd)
        return call

    async def __aenter__(self) -> BrokerConsumer:
        self._connected = self._loop.create_future()
        try:
            await asyncio.to_thread(self._client.connect, self.address.host, self.address.port,
                                    self.keepalive)
        except (OSError, ValueError) as error:
            raise ConsumerError(f"cannot connect to the broker: {error}") from error
        self._misc = asyncio.create_task(self._housekeeping(), name="mqtt-consumer-misc")
        try:
            await asyncio.wait_for(asyncio.shield(self._connected), CONNECT_SECONDS)
        except TimeoutError:
            await self._close()
            raise ConsumerError("the broker did not answer CONNECT") from None
        except ConsumerError:
            await self._close()
            raise
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self._close()

    async def _close(self) -> None:
        if self._lost is None:
            self._client.disconnect()
        if self._misc is not None:
            self._misc.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._misc
        self._on_socket_close(self._fd)
        sock = self._client.socket()
        if sock is not None:  # DISCONNECT not written yet: close it ourselves
            with contextlib.suppress(OSError):
                sock.close()

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(MISC_SECONDS)
            self._client.loop_misc()

    async def subscribe(self, topic: str, qos: int = 1) -> list[Any]:
        """Subscribe and wait for the broker's SUBACK; its reason codes."""
        result, mid = self._client.subscribe(topic, qos=qos)
        if result != mqtt.MQTT_ERR_SUCCESS or mid is None:
            raise ConsumerError(f"subscribe to {topic} failed: {mqtt.error_string(result)}")
        waiter = self._subscribing[mid] = self._loop.create_future()
        try:
            return await asyncio.wait_for(waiter, CONNECT_SECONDS)
        except TimeoutError:
            raise ConsumerError(f"no SUBACK for {topic}") from None
        finally:
            self._subscribing.pop(mid, None)

    async def receive(self, most: int, linger: float = 0.0) -> list[Delivery]:
        """At least one message, and up to ``most`` of those already sent: after the first,
        take what the socket holds; if that is nothing, wait ``linger`` once for more."""
        while not self._queue:
            if self._lost is not None:
                raise ConsumerError(self._lost)
            self._arrived.clear()
            await self._arrived.wait()
        self._read_waiting(most - len(self._queue))
        if len(self._queue) == 1 and linger > 0:
            await asyncio.sleep(linger)
        take = min(len(self._queue), most)
        return [self._queue.popleft() for _ in range(take)]

    def _read_waiting(self, most: int) -> None:
        """A loop turn per packet would make a backlog arrive one message per turn; paho's
        ``loop_read`` reads one packet and returns when the socket has nothing more."""
        for _ in range(max(most, 0)):
            before = len(self._queue)
            if self._client.loop_read() != mqtt.MQTT_ERR_SUCCESS or len(self._queue) == before:
                return

    def acknowledge(self, deliveries: Sequence[Delivery]) -> None:
        """PUBACK each message, in order (after its batch is committed)."""
        for delivery in deliveries:
            if delivery.qos > 0:
                self._client.ack(delivery.mid, delivery.qos)

    def publish(self, topic: str, payload: bytes | str, qos: int = 0) -> bool:
        """Queue a message on this connection without waiting for the broker's PUBACK;
        False (logged) when paho refuses it."""
        sent = self._client.publish(topic, payload, qos=qos)
        if sent.rc != mqtt.MQTT_ERR_SUCCESS:
            log.warning("publish to %s not sent (%s)", topic, mqtt.error_string(sent.rc))
            return False
        return True

    # paho callbacks (on the loop: inside loop_read / loop_write / loop_misc)

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object,
                    reason: ReasonCode, properties: object) -> None:
        if self._connected is None or self._connected.done():
            return
        if reason.is_failure:
            self._connected.set_exception(ConsumerError(f"the broker refused us: {reason}"))
        else:
            self._connected.set_result(None)

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: object,
                       reason: ReasonCode, properties: object) -> None:
        self._lost = f"broker connection lost: {reason}"
        self._arrived.set()
        if self._connected is not None and not self._connected.done():
            self._connected.set_exception(ConsumerError(self._lost))

    def _on_message(self, client: mqtt.Client, userdata: object,
                    message: mqtt.MQTTMessage) -> None:
        self._queue.append(Delivery(message.topic, bytes(message.payload), message.qos,
                                    bool(message.retain), message.mid))
        self._arrived.set()

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int,
                      codes: list[Any], properties: object) -> None:
        waiter = self._subscribing.get(mid)
        if waiter is not None and not waiter.done():
            waiter.set_result(list(codes))

    def _on_socket_open(self, fd: int) -> None:
        self._fd = fd
        self._loop.add_reader(fd, self._client.loop_read)

    def _on_socket_close(self, fd: int | None) -> None:
        if fd is None or fd != self._fd:
            return
        self._loop.remove_reader(fd)
        self._loop.remove_writer(fd)
        self._fd = None

    def _on_register_write(self, fd: int) -> None:
        if fd == self._fd:
            self._loop.add_writer(fd, self._client.loop_write)

    def _on_unregister_write(self, fd: int) -> None:
        if fd == self._fd:
            self._loop.remove_writer(fd)
