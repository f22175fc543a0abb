"""FreeSWITCH's event socket wire protocol, implemented directly (see docs/telephony.md: why).

A frame is header lines ``Name: value`` ending at a blank line; ``Content-Length`` says how
many bytes of body follow. Event bodies (``text/event-plain``) are themselves header lines
with URL-encoded values, optionally followed by their own body.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

log = logging.getLogger(__name__)
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 4 * 1024 * 1024
AUTH_REQUEST = "auth/request"
COMMAND_REPLY = "command/reply"
API_RESPONSE = "api/response"
EVENT_PLAIN = "text/event-plain"
DISCONNECT = "text/disconnect-notice"


class EslProtocolError(Exception):
    """A frame that does not follow the protocol (logged and skipped, or the link reset)."""


class EslClosedError(Exception):
    """The other side closed the connection."""


@dataclass(frozen=True, slots=True)
class Frame:
    headers: Mapping[str, str]
    body: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def reply_text(self) -> str:
        return self.headers.get("Reply-Text", "")


@dataclass(frozen=True, slots=True)
class Event:
    """One event: its name, URL-decoded headers and body."""

    name: str
    headers: Mapping[str, str]
    body: str = ""

    @property
    def uuid(self) -> str:
        return self.headers.get("Unique-ID", "")

    def get(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)


def parse_headers(block: str, *, decode: bool) -> dict[str, str]:
    """``Name: value`` lines; raises EslProtocolError on a line without a colon."""
    headers: dict[str, str] = {}
    for line in block.split("\n"):
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise EslProtocolError(f"header line without a name: {line[:80]!r}")
        value = value.strip()
        headers[name.strip()] = unquote(value) if decode else value
    return headers


async def read_frame(reader: asyncio.StreamReader) -> Frame:
    """The next frame; EslClosedError at the end of the stream."""
    try:
        raw = await reader.readuntil(b"\n\n")
    except asyncio.IncompleteReadError as error:
        raise EslClosedError("connection closed") from error
    except asyncio.LimitOverrunError as error:
        raise EslProtocolError("header block too long") from error
    headers = parse_headers(raw.decode("utf-8", errors="replace"), decode=False)
    body = ""
    if "Content-Length" in headers:
        length = _length(headers["Content-Length"])
        try:
            body = (await reader.readexactly(length)).decode("utf-8", errors="replace")
        except asyncio.IncompleteReadError as error:
            raise EslClosedError("connection closed inside a body") from error
    return Frame(headers, body)


def _length(value: str) -> int:
    if not value.isdigit() or int(value) > MAX_BODY_BYTES:
        raise EslProtocolError(f"bad Content-Length {value[:20]!r}")
    return int(value)


def parse_event(frame: Frame) -> Event:
    """An event frame's body as an Event; raises EslProtocolError when it is not one."""
    head, _, rest = frame.body.partition("\n\n")
    headers = parse_headers(head, decode=True)
    name = headers.get("Event-Name")
    if not name:
        raise EslProtocolError("event without Event-Name")
    body = rest[:_length(headers["Content-Length"])] if "Content-Length" in headers else ""
    return Event(name, headers, body)


def encode_command(line: str, headers: Mapping[str, str] | None = None,
                   body: str = "") -> bytes:
    """A command (``api status``, ``sendmsg``) with optional headers and body."""
    if "\n" in line:
        raise ValueError("a command is one line")
    lines = [line, *(f"{name}: {value}" for name, value in (headers or {}).items())]
    if body:
        lines.append(f"Content-Length: {len(body.encode())}")
    return ("\n".join(lines) + "\n\n" + body).encode()


def encode_event(name: str, headers: Mapping[str, str], body: str = "") -> bytes:
    """An event as FreeSWITCH sends it: ``text/event-plain`` around URL-encoded headers."""
    pairs = {"Event-Name": name, **headers}
    if body:
        pairs["Content-Length"] = str(len(body.encode()))
    inner = "".join(f"{key}: {quote(value, safe='')}\n" for key, value in pairs.items())
    inner += "\n" + body
    return encode_frame({"Content-Type": EVENT_PLAIN}, inner)


def encode_frame(headers: Mapping[str, str], body: str = "") -> bytes:
    """A frame the switch sends: headers, and Content-Length when there is a body."""
    pairs = dict(headers)
    if body:
        pairs["Content-Length"] = str(len(body.encode()))
    return ("".join(f"{k}: {v}\n" for k, v in pairs.items()) + "\n" + body).encode()


@dataclass
class EslConnection:
    """One event-socket link: commands answered in order, events queued as they come.

    FreeSWITCH answers commands in the order they were sent, so each command waits on its
    own future in a FIFO; everything else read is an event (or the disconnect notice). A
    command whose caller gave up (cancelled, timed out) keeps its place: its future is
    cancelled, and its reply, when it comes, is dropped rather than handed to the next one.
    """

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    events: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)
    _pending: deque[asyncio.Future[Frame]] = field(default_factory=deque)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closed: bool = False

    async def command(self, line: str, headers: Mapping[str, str] | None = None,
                      body: str = "") -> Frame:
        """Send a command and wait for its reply (``command/reply`` or ``api/response``)."""
        if self.closed:
            raise EslClosedError("connection closed")
        reply: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        try:
            async with self._lock:
                self._pending.append(reply)
                self.writer.write(encode_command(line, headers, body))
                await self.writer.drain()
            return await reply
        finally:
            reply.cancel()  # no-op once answered; given up or failed: its reply is dropped

    async def api(self, command: str) -> str:
        return (await self.command(f"api {command}")).body

    async def read_forever(self) -> None:
        """Read frames until the link closes; replies go to waiting commands, events to
        ``events``. Malformed frames and events are logged and skipped."""
        try:
            while True:
                try:
                    frame = await read_frame(self.reader)
                except EslProtocolError as error:
                    log.warning("malformed ESL frame skipped: %s", error)
                    continue
                self._dispatch(frame)
        except (EslClosedError, ConnectionError):
            pass
        finally:
            self._close()

    def _dispatch(self, frame: Frame) -> None:
        kind = frame.content_type
        if kind in (COMMAND_REPLY, API_RESPONSE):
            if self._pending:
                waiter = self._pending.popleft()  # this reply is its own, even if given up
                if not waiter.done():
                    waiter.set_result(frame)
            else:
                log.warning("ESL reply with no command waiting: %s", frame.reply_text[:80])
        elif kind == EVENT_PLAIN:
            try:
                self.events.put_nowait(parse_event(frame))
            except EslProtocolError as error:
                log.warning("malformed ESL event skipped: %s", error)
        elif kind == DISCONNECT:
            log.info("ESL peer says goodbye")
        elif kind != AUTH_REQUEST:
            log.warning("ESL frame of unknown type %r skipped", kind[:40])

    def _close(self) -> None:
        self.closed = True
        while self._pending:
            waiter = self._pending.popleft()
            if not waiter.done():
                waiter.set_exception(EslClosedError("connection closed"))
        self.events.put_nowait(None)
        self.writer.close()


async def authenticate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       password: str) -> None:
    """The inbound handshake: wait for ``auth/request``, send the password, expect +OK."""
    frame = await read_frame(reader)
    if frame.content_type != AUTH_REQUEST:
        raise EslProtocolError(f"expected auth/request, got {frame.content_type!r}")
    writer.write(encode_command(f"auth {password}"))
    await writer.drain()
    reply = await read_frame(reader)
    if not reply.reply_text.startswith("+OK"):
        raise EslProtocolError(f"authentication refused: {reply.reply_text[:80]}")
