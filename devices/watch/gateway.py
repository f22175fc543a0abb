"""The watch gateway: an asyncio TCP server speaking the 3G watch protocol on one side and the
MQTT contract (as each watch, through the service account) on the other.

An alarm (AL) is replied to only after the ingest's ``ack`` for its event arrived, i.e. after
the commit: a watch that hears nothing sends the same frame again, and the event id derived
from the frame makes the resend a duplicate, never a second alarm. Bad frames become dead
letters with their raw bytes; only a stream that is no watch's (no closing bracket within
64 KiB) or a flood ends the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devices import service
from devices.dead_letters import DeadLetterLimit
from devices.watch import messages
from devices.watch.commands import ANSWER_TYPES
from devices.watch.frames import BadFrame, Frame, FrameReader, FrameTooLong, encode
from devices.watch.registry import WatchRegistry
from devices.watch.relay import RelayedCommand, carry_out
from devices.watch.uplink import Uplink, UplinkDown
from runtime.clock import Clock
from runtime.tasks import SpawnedTasks

log = logging.getLogger(__name__)
DEFAULT_PORT = 5093  # the port these watches are usually set to
ACK_TIMEOUT_SECONDS = 10.0
READ_BYTES = 4096
# A watch sends a frame every few seconds at most; a burst at connect (INIT, LK, UD, health
# readings) stays far below this. More is a broken or hostile client.
FLOOD_FRAMES = 200
FLOOD_PER_SECOND = 20.0
IDLE_SECONDS = 15 * 60  # watches send LK every few minutes; a silent socket is a dead one


@dataclass
class FrameBudget:
    """A token bucket of frames per connection."""

    tokens: float = FLOOD_FRAMES
    at: float = field(default_factory=time.monotonic)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(FLOOD_FRAMES, self.tokens + (now - self.at) * FLOOD_PER_SECOND)
        self.at = now
        self.tokens -= 1
        return self.tokens >= 0


class Flooded(Exception):
    """The connection sent more frames than any watch does."""


@dataclass
class WatchConnection:
    """One watch's open connection: how to write to it, and answers awaited from it."""

    watch_id: str
    maker: str
    index: str | None
    writer: asyncio.StreamWriter
    answers: dict[str, asyncio.Future[str]] = field(default_factory=dict)

    async def send(self, content: str) -> None:
        self.writer.write(encode(self.maker, self.watch_id, content, self.index))
        await self.writer.drain()

    def answered(self, frame: Frame) -> bool:
        """True when the frame answers a command sent to the watch (CR, UPLOAD, ...)."""
        waiter = self.answers.pop(frame.type.upper(), None)
        if waiter is None or waiter.done():
            return False
        waiter.set_result(frame.content.decode("ascii", "replace"))
        return True


class WatchGateway:
    """Serves watches on ``host:port`` until cancelled (``run``)."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 uplink: Uplink, host: str = "0.0.0.0", port: int = DEFAULT_PORT,
                 ack_timeout: float = ACK_TIMEOUT_SECONDS, setup: tuple[str, ...] = (),
                 sent_at: Callable[[Frame], float | None] | None = None) -> None:
        self.sessions = sessions
        self.clock = clock
        self.uplink = uplink
        self.host = host
        self.port = port
        self.ack_timeout = ack_timeout
        self.setup = setup  # sent to each watch as it connects (SOS number, report interval)
        self.registry = WatchRegistry(sessions)
        self.connections: dict[str, WatchConnection] = {}
        self.dead_letter_limit = DeadLetterLimit()
        self.listening = asyncio.Event()
        self.frames = 0
        self._sent_at = sent_at  # the benchmark's clock reading, carried to the ingest
        self._relayed = SpawnedTasks("a relayed watch command")
        uplink.on_command = self._relayed_command

    async def run(self) -> None:
        server = await asyncio.start_server(self._serve, self.host, self.port, backlog=4096,
                                            limit=READ_BYTES * 4)
        self.port = server.sockets[0].getsockname()[1]
        log.info("watch gateway listening on %s:%d", self.host, self.port)
        async with server, asyncio.TaskGroup() as tasks:
            tasks.create_task(self.uplink.run(), name="watch-uplink")
            self.listening.set()
            await server.serve_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        frames = FrameReader()
        budget = FrameBudget()
        connection: WatchConnection | None = None
        try:
            while data := await asyncio.wait_for(reader.read(READ_BYTES), IDLE_SECONDS):
                for item in frames.feed(data):
                    if not budget.take():
                        raise Flooded(f"more than {FLOOD_FRAMES} frames at "
                                      f"{FLOOD_PER_SECOND:.0f}/s")
                    try:
                        connection = await self._handle(item, writer, connection, peer)
                    except SQLAlchemyError as error:
                        # The registry or dead letters are busy: this frame goes unanswered
                        # and the watch sends it again.
                        log.warning("watch frame from %s not handled: %s", peer,
                                    type(error).__name__)
        except FrameTooLong as error:
            await self._dead_letter(BadFrame(b"", str(error), _id(connection)), peer)
            log.warning("watch connection %s closed: %s", peer, error)
        except Flooded as error:
            await self._dead_letter(BadFrame(b"", f"flood: {error}", _id(connection)), peer)
            log.warning("watch connection %s closed: flood, %s", peer, error)
        except (TimeoutError, ConnectionError) as error:
            log.info("watch connection %s ended (%s)", peer, type(error).__name__)
        except Exception:  # a bug must cost this watch its connection, not the gateway
            log.exception("watch connection %s closed by an internal error", peer)
        finally:
            await self._closed(connection, writer)

    async def _closed(self, connection: WatchConnection | None,
                      writer: asyncio.StreamWriter) -> None:
        if connection is not None and self.connections.get(connection.watch_id) is connection:
            del self.connections[connection.watch_id]
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def _handle(self, item: Frame | BadFrame, writer: asyncio.StreamWriter,
                      connection: WatchConnection | None, peer: object
                      ) -> WatchConnection | None:
        self.frames += 1
        if isinstance(item, BadFrame):
            await self._dead_letter(item, peer)
            return connection
        device_id = item.watch_id.lower()
        if not await self.registry.known(device_id):
            await self._dead_letter(BadFrame(_raw(item), f"unknown watch {item.watch_id!r}",
                                             item.watch_id), peer)
            return connection
        if connection is None or connection.watch_id != device_id:
            connection = await self._attach(item, device_id, writer)
        if connection.answered(item) or item.type.upper() in ANSWER_TYPES:
            return connection  # a command's answer (the setup's are not waited for)
        try:
            decoded = messages.decode(item, self.clock.now())
        except messages.WatchMessageError as error:
            await self._dead_letter(BadFrame(_raw(item), str(error), item.watch_id), peer)
            return connection
        await self._forward(connection, item, decoded)
        return connection

    async def _attach(self, frame: Frame, device_id: str,
                      writer: asyncio.StreamWriter) -> WatchConnection:
        connection = WatchConnection(device_id, frame.maker, frame.index, writer)
        previous = self.connections.get(device_id)
        self.connections[device_id] = connection
        if previous is not None and previous.writer is not writer:
            previous.writer.close()  # the watch reconnected; the old socket is dead
        # No status message: every frame moves the watch's last_seen, which says it is online.
        for content in self.setup:
            await connection.send(content)
        return connection

    async def _forward(self, connection: WatchConnection, frame: Frame,
                       decoded: messages.Decoded) -> None:
        """Publish what the frame said; reply when the watch may forget it."""
        try:
            self.uplink.telemetry(connection.watch_id, decoded)
            sent_at = self._sent_at(frame) if self._sent_at else None
            for event in decoded.events:
                result = await self.uplink.event(connection.watch_id, event,
                                                 within=self.ack_timeout, sent_at=sent_at)
                if result is None:
                    log.warning("no ack for %s from the ingest within %.0f s; the watch will "
                                "send it again", event.event_id, self.ack_timeout)
                    return  # no AL reply: the watch repeats the alarm
        except UplinkDown as error:
            log.warning("watch %s: frame %s not forwarded (%s)", connection.watch_id,
                        frame.type, error)
            if decoded.events:
                return
        if decoded.reply is not None:
            await connection.send(decoded.reply)

    async def _dead_letter(self, bad: BadFrame, peer: object) -> None:
        now = self.clock.now()
        device_id = (bad.watch_id or "").lower()
        log.info("watch frame from %s refused: %s", peer, bad.reason)
        if not self.dead_letter_limit.admit(device_id or str(peer), now):
            return
        async with self.sessions() as session:
            await service.record_dead_letter(
                session, topic=f"tcp/watch/{device_id or peer}", payload=bad.raw,
                reason=bad.reason, device_id=device_id, now=now)
            await session.commit()

    async def command(self, device_id: str, content: str, *, answer: str,
                      within: float) -> str | None:
        """Send a downlink and wait for the watch's answer of type ``answer``: None when none
        comes within ``within`` seconds; KeyError when the watch is not connected."""
        connection = self.connections[device_id]
        waiter = connection.answers[answer] = asyncio.get_running_loop().create_future()
        await connection.send(content)
        try:
            return await asyncio.wait_for(waiter, within)
        except TimeoutError:
            return None


    def _relayed_command(self, command: RelayedCommand) -> None:
        """Another process's command: carried out only by the gateway holding the watch."""
        if command.device_id in self.connections:
            self._relayed.spawn(carry_out(command, send=self._send_relayed,
                                          publish=self.uplink.publish_reply))

    async def _send_relayed(self, device_id: str, content: str, answer: str,
                            within: float) -> str | None:
        try:
            return await self.command(device_id, content, answer=answer, within=within)
        except KeyError:  # the watch hung up between the check and the send
            return None


def _id(connection: WatchConnection | None) -> str | None:
    return connection.watch_id if connection else None


def _raw(frame: Frame) -> bytes:
    return encode(frame.maker, frame.watch_id, frame.content, frame.index)
