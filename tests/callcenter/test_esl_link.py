"""One event-socket link under commands whose caller gave up: replies stay in order, the reader
keeps running, and closing the link fails only the commands still waited on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from callcenter.freeswitch.esl import (
    API_RESPONSE,
    EVENT_PLAIN,
    EslClosedError,
    EslConnection,
    encode_event,
    encode_frame,
)
from callcenter.freeswitch.fake_switch import read_command


@dataclass
class ScriptedPeer:
    """The switch's end of the link: the test reads each command and decides when to reply."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def expect(self, line: str) -> None:
        assert (await read_command(self.reader))[0] == line

    async def reply(self, body: str) -> None:
        self.writer.write(encode_frame({"Content-Type": API_RESPONSE}, body))
        await self.writer.drain()

    async def event(self, name: str) -> None:
        self.writer.write(encode_event(name, {"Unique-ID": "u1"}))
        await self.writer.drain()


@dataclass
class Link:
    conn: EslConnection
    reading: asyncio.Task[None]
    peer: ScriptedPeer


@pytest.fixture
async def link() -> AsyncIterator[Link]:
    """Anxin's EslConnection to a scripted peer on a loopback port, its reader running."""
    accepted: asyncio.Queue[ScriptedPeer] = asyncio.Queue()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.put_nowait(ScriptedPeer(reader, writer))

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    conn = EslConnection(*await asyncio.open_connection("127.0.0.1", port))
    reading = asyncio.create_task(conn.read_forever())
    peer = await accepted.get()
    yield Link(conn, reading, peer)
    reading.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reading
    peer.writer.close()
    server.close()
    await server.wait_closed()


async def given_up(link: Link, line: str) -> None:
    """A command sent, then its caller cancelled (hung up, timed out) before the reply."""
    waiting = asyncio.create_task(link.conn.command(line))
    await link.peer.expect(line)
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting


async def test_a_late_reply_to_a_cancelled_command_is_dropped_and_the_link_keeps_working(
    link: Link,
) -> None:
    """The reply to a cancelled command is its own (not the next command's); the reader keeps
    running, so later commands get their own replies and events still arrive."""
    await given_up(link, "api uuid_break gone")
    await link.peer.reply("+OK late\n")
    following = asyncio.create_task(link.conn.api("status"))
    await link.peer.expect("api status")
    await link.peer.reply("UP 0 years\n")
    async with asyncio.timeout(5):
        assert await following == "UP 0 years\n"
    await link.peer.event("CHANNEL_ANSWER")
    async with asyncio.timeout(5):
        event = await link.conn.events.get()
    assert event is not None and event.name == "CHANNEL_ANSWER"
    assert not link.reading.done()


async def test_closing_with_a_cancelled_command_fails_the_others_and_ends_the_events(
    link: Link,
) -> None:
    """The peer closes while a cancelled command and a live one are pending: the live one
    fails as closed, the event stream ends, and the reader finishes without an error."""
    await given_up(link, "api uuid_kill gone")
    live = asyncio.create_task(link.conn.api("status"))
    await link.peer.expect("api status")
    link.peer.writer.close()
    async with asyncio.timeout(5):
        with pytest.raises(EslClosedError):
            await live
        assert await link.conn.events.get() is None
        await link.reading
    assert link.conn.closed


async def test_frames_with_a_bad_length_or_no_event_name_are_skipped(
    link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    """A Content-Length that is not a number, one past the body limit, and an event without
    Event-Name are logged and skipped; the waiting command still gets its own reply."""
    waiting = asyncio.create_task(link.conn.api("status"))
    await link.peer.expect("api status")
    link.peer.writer.write(b"Content-Type: api/response\nContent-Length: many\n\n")
    link.peer.writer.write(b"Content-Type: api/response\nContent-Length: 99999999999\n\n")
    link.peer.writer.write(encode_frame({"Content-Type": EVENT_PLAIN}, "Unique-ID: u1\n\n"))
    await link.peer.reply("UP\n")
    async with asyncio.timeout(5):
        assert await waiting == "UP\n"
    assert caplog.text.count("bad Content-Length") == 2
    assert "event without Event-Name" in caplog.text
    assert not link.reading.done()
