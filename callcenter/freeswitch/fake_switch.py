"""A stand-in FreeSWITCH for the tests and the bench: the real event-socket wire protocol on
loopback, playing the switch's part in scripted calls.

It accepts inbound ESL connections (``auth/request``, ``command/reply``, ``api/response``,
``text/event-plain`` events with URL-encoded headers), connects to Anxin's call socket for
each call (outbound-socket mode, as the dialplan's ``socket`` application does), and runs the
applications Anxin sends: prompts finish at once, a gather waits for a key, words or its
timeout on the given clock, ``park`` and ``conference`` hold the caller until broken.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid as uuids
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from callcenter import prompt_timing
from callcenter.freeswitch import render
from callcenter.freeswitch.esl import (
    API_RESPONSE,
    AUTH_REQUEST,
    COMMAND_REPLY,
    DISCONNECT,
    EslClosedError,
    encode_event,
    encode_frame,
    parse_headers,
)
from runtime.clock import Clock, SystemClock

_VARS = re.compile(r"^\{([^}]*)\}(\S+)\s+(.*)$")
_APP = re.compile(r"^&(\w+)\((.*)\)$")
_CALL_ID = "anxin_call_id"


async def read_command(reader: asyncio.StreamReader) -> tuple[str, dict[str, str]]:
    """A command as a client sends it: its line, then headers, up to a blank line."""
    try:
        raw = (await reader.readuntil(b"\n\n")).decode()
    except asyncio.IncompleteReadError as error:
        raise EslClosedError("client closed") from error
    line, _, rest = raw.partition("\n")
    return line.strip(), parse_headers(rest, decode=False)


def spoken_text(file_string: str) -> str:
    """The words of a ``speak:engine|voice|text`` prompt (a recording: its file name)."""
    value = file_string.strip("'")
    return value.split("|", 2)[-1] if value.startswith("speak:") else value


@dataclass
class FakeChannel:
    """One call's channel on the fake switch, and what the caller does on it."""

    switch: FakeSwitch
    uuid: str
    caller: str
    destination: str = "12349"
    variables: dict[str, str] = field(default_factory=dict)
    apps: list[render.App] = field(default_factory=list)
    blocking: int = 0  # how many times the caller started waiting in an application
    current: render.App | None = None
    answered: bool = False
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    _input: asyncio.Queue[tuple[str, str]] = field(default_factory=asyncio.Queue)
    _break: asyncio.Event = field(default_factory=asyncio.Event)
    _writer: asyncio.StreamWriter | None = None
    _queue: asyncio.Queue[tuple[render.App, str]] = field(default_factory=asyncio.Queue)
    _event_sent_at: float | None = None

    # What the caller does.

    async def press(self, digits: str) -> None:
        """Keys: the gather's answer when one is running, else DTMF events."""
        if self.current is not None and self.current.name in render.GATHER_APPS:
            self._input.put_nowait(("dtmf", digits))
        else:
            for digit in digits:
                await self._emit("DTMF", {"DTMF-Digit": digit}, measure=True)

    async def say(self, words: str) -> None:
        self._input.put_nowait(("speech", words))

    async def hang_up(self, cause: str = "NORMAL_CLEARING") -> None:
        await self.switch.end(self, cause)

    async def settled(self, after: int) -> None:
        """Wait until the caller waits in an application started after ``after`` such
        waits, or the call has ended (the caller bounds the wait)."""
        while self.blocking <= after and not self.ended.is_set():
                self.changed.clear()
                await self.changed.wait()

    # The channel's side of the socket.

    def headers(self) -> dict[str, str]:
        return {"Unique-ID": self.uuid, "Caller-Caller-ID-Number": self.caller,
                "Caller-Destination-Number": self.destination,
                **{f"variable_{k}": v for k, v in self.variables.items()}}

    async def run_socket(self, address: tuple[str, int]) -> None:
        reader, writer = await asyncio.open_connection(*address)
        self._writer = writer
        runner = asyncio.create_task(self._run_apps())
        try:
            while not self.ended.is_set():
                line, headers = await read_command(reader)
                self._measure()
                await self._on_command(line, headers)
        except (EslClosedError, ConnectionError):
            pass
        finally:
            runner.cancel()
            writer.close()

    async def _on_command(self, line: str, headers: Mapping[str, str]) -> None:
        if line == "connect":
            encoded = {k: quote(v, safe="") for k, v in self.headers().items()}
            await self._send({"Content-Type": COMMAND_REPLY, "Reply-Text": "+OK", **encoded})
            self._event_sent_at = time.perf_counter()
        elif line.startswith("api "):
            await self._send({"Content-Type": API_RESPONSE}, self.switch.api(line[4:]))
        elif line == "sendmsg":
            await self._send({"Content-Type": COMMAND_REPLY, "Reply-Text": "+OK"})
            app = render.App(headers.get("execute-app-name", ""),
                             headers.get("execute-app-arg", ""))
            self._queue.put_nowait((app, headers.get("Event-UUID", "")))
        else:  # myevents, linger, event …
            await self._send({"Content-Type": COMMAND_REPLY, "Reply-Text": "+OK"})

    async def _run_apps(self) -> None:
        while True:
            app, app_uuid = await self._queue.get()
            self.apps.append(app)
            await self._emit("CHANNEL_EXECUTE", {"Application": app.name})
            result = await self._execute(app)
            if self.ended.is_set():
                return
            self.variables.update(result)
            self.current = None
            await self._emit("CHANNEL_EXECUTE_COMPLETE", {
                "Application": app.name, "Application-Data": app.arg,
                "Application-UUID": app_uuid}, measure=app.name in render.GATHER_APPS)

    async def _execute(self, app: render.App) -> dict[str, str]:
        if app.name == "set":
            name, _, value = app.arg.partition("=")
            return {name: value}
        if app.name == "hangup":
            await self.switch.end(self, app.arg or "NORMAL_CLEARING")
            return {}
        if app.name not in render.BLOCKING_APPS:
            return {}
        self.current = app
        self._break.clear()
        self.blocking += 1
        self.changed.set()
        if app.name in render.GATHER_APPS:
            return await self._gather(app)
        await self._break.wait()
        return {}

    async def _gather(self, app: render.App) -> dict[str, str]:
        """A key or words, or silence once the prompt and the timeout have passed."""
        parts = app.arg.split(" ")
        if app.name == "play_and_get_digits":
            prompt, timeout_ms = " ".join(parts[5:-3]), int(parts[3])
        else:
            prompt = app.arg.split(" detect:")[0]
            found = re.search(r"no-input-timeout=(\d+)", app.arg)
            timeout_ms = int(found.group(1)) if found else 5000
        wait = prompt_timing.spoken_seconds(spoken_text(prompt)) + timeout_ms / 1000
        heard = asyncio.create_task(self._input.get())
        silence = asyncio.create_task(self.switch.clock.sleep(wait))
        broken = asyncio.create_task(self._break.wait())
        done, pending = await asyncio.wait({heard, silence, broken},
                                           return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if heard not in done:
            return {render.DIGITS_VAR: ""} if app.name == "play_and_get_digits" else {}
        mode, value = heard.result()
        if app.name == "play_and_get_digits":
            return {render.DIGITS_VAR: value[:1] if mode == "dtmf" else ""}
        nlsml = (f'<result><interpretation><input mode="{mode}">{value}</input>'
                 "</interpretation></result>")
        return {render.SPEECH_VAR: nlsml}

    def break_app(self) -> None:
        self._break.set()

    async def _emit(self, name: str, headers: dict[str, str], *, measure: bool = False) -> None:
        event = {**self.headers(), **headers}
        await self.switch.broadcast(name, event)
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(encode_event(name, event))
            await self._writer.drain()
            if measure:
                self._event_sent_at = time.perf_counter()

    async def _send(self, headers: dict[str, str], body: str = "") -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(encode_frame(headers, body))
            await self._writer.drain()

    def _measure(self) -> None:
        """An event that asked for an answer, then the first command after it."""
        if self._event_sent_at is not None:
            self.switch.latencies_ms.append((time.perf_counter() - self._event_sent_at) * 1000)
            self._event_sent_at = None

    async def close_socket(self) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(encode_frame({"Content-Type": DISCONNECT},
                                            "Disconnected, goodbye.\n"))
            with contextlib.suppress(ConnectionError):
                await self._writer.drain()
            self._writer.close()


@dataclass
class FakeSwitch:
    """The switch: its inbound ESL listener, its channels, and the calls it originated."""

    password: str = "ClueCon"
    clock: Clock = field(default_factory=SystemClock)
    channels: dict[str, FakeChannel] = field(default_factory=dict)
    recordings: dict[str, str] = field(default_factory=dict)  # channel uuid -> file asked for
    originated: dict[int, FakeChannel] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    call_socket: tuple[str, int] | None = None
    # Each inbound link and the events it subscribed to (``event plain …``; ALL for all).
    _listeners: dict[asyncio.StreamWriter, frozenset[str]] = field(default_factory=dict)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    port: int = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._control, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.drop_control()
        if self._server is not None:
            self._server.close()

    async def drop_control(self) -> None:
        """Cut every inbound ESL link, as a switch restart or a network fault would."""
        for writer in self._listeners:
            writer.close()
        self._listeners.clear()

    @property
    def connected(self) -> int:
        return len(self._listeners)

    def listeners(self) -> list[asyncio.StreamWriter]:
        """The inbound links (a test writes raw bytes on them)."""
        return list(self._listeners)

    # Calls.

    async def call_in(self, number: str) -> FakeChannel:
        """A caller dials 12349: the dialplan hands the channel to Anxin's socket."""
        assert self.call_socket is not None, "set call_socket to Anxin's socket address"
        channel = FakeChannel(self, str(uuids.uuid4()), number, answered=True)
        self.channels[channel.uuid] = channel
        self._spawn(channel.run_socket(self.call_socket))
        return channel

    async def ring(self, channel: FakeChannel) -> None:
        await channel._emit("CHANNEL_PROGRESS", {})

    async def answer(self, channel: FakeChannel) -> None:
        """The called person picks up: the originate's ``&socket`` app connects to Anxin."""
        channel.answered = True
        await channel._emit("CHANNEL_ANSWER", {})
        target = channel.variables.pop("_socket", "")
        if target:
            host, _, port = target.split(" ")[0].partition(":")
            self._spawn(channel.run_socket((host, int(port))))

    async def end(self, channel: FakeChannel, cause: str) -> None:
        if channel.ended.is_set():
            return
        channel.ended.set()
        channel.changed.set()
        channel.break_app()
        await channel._emit("CHANNEL_HANGUP_COMPLETE", {"Hangup-Cause": cause})
        self.channels.pop(channel.uuid, None)
        await channel.close_socket()

    def _spawn(self, work: object) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # The control link.

    async def _control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(encode_frame({"Content-Type": AUTH_REQUEST}))
        try:
            line, _ = await read_command(reader)
            if line != f"auth {self.password}":
                writer.write(encode_frame({"Content-Type": COMMAND_REPLY,
                                           "Reply-Text": "-ERR invalid"}))
                return
            writer.write(encode_frame({"Content-Type": COMMAND_REPLY,
                                       "Reply-Text": "+OK accepted"}))
            self._listeners[writer] = frozenset()
            while True:
                line, _ = await read_command(reader)
                self.commands.append(line)
                await self._control_command(writer, line)
        except (EslClosedError, ConnectionError):
            pass
        finally:
            self._listeners.pop(writer, None)
            writer.close()

    async def _control_command(self, writer: asyncio.StreamWriter, line: str) -> None:
        if line.startswith("api "):
            writer.write(encode_frame({"Content-Type": API_RESPONSE}, self.api(line[4:])))
        elif line.startswith("bgapi "):
            job = str(uuids.uuid4())
            reply = self.api(line[6:])
            writer.write(encode_frame({"Content-Type": COMMAND_REPLY,
                                       "Reply-Text": f"+OK Job-UUID: {job}"}))
            writer.write(encode_event("BACKGROUND_JOB", {"Job-UUID": job}, reply))
        elif line.startswith("event plain"):
            self._listeners[writer] = self._listeners.get(writer, frozenset()) \
                | frozenset(line.split()[2:])
            writer.write(encode_frame({"Content-Type": COMMAND_REPLY,
                                       "Reply-Text": "+OK event listener enabled plain"}))
        else:
            writer.write(encode_frame({"Content-Type": COMMAND_REPLY,
                                       "Reply-Text": "-ERR command not found"}))
        await writer.drain()

    def api(self, command: str) -> str:
        """What the switch answers to an API command."""
        name, _, args = command.partition(" ")
        words = args.split(" ")
        if name == "originate":
            return self._originate(args)
        if name == "show" and args.startswith("channels"):
            rows = [{"uuid": uuid, "cid_num": c.caller,
                     "callstate": "ACTIVE" if c.answered else "RINGING"}
                    for uuid, c in self.channels.items()]
            return json.dumps({"row_count": len(rows), "rows": rows})
        channel = self.channels.get(words[0]) if words else None
        if name in ("uuid_break", "uuid_transfer", "uuid_kill", "uuid_broadcast",
                    "uuid_record") and channel is None:
            return "-ERR No such channel!\n"
        if name == "uuid_break" and channel is not None:
            channel.break_app()
        elif name == "uuid_kill" and channel is not None:
            self._spawn(self.end(channel, words[1] if len(words) > 1 else "NORMAL_CLEARING"))
        elif name == "uuid_record" and channel is not None and len(words) > 2:
            self.recordings[channel.uuid] = words[2]
        return "+OK\n"

    def _originate(self, args: str) -> str:
        found = _VARS.match(args)
        if found is None:
            return "-ERR INVALID_ARGS\n"
        variables = dict(pair.split("=", 1) for pair in found.group(1).split(",") if "=" in pair)
        target, app = found.group(2), _APP.match(found.group(3).strip())
        channel = FakeChannel(self, variables.get("origination_uuid", str(uuids.uuid4())),
                              self_number(target), destination=target, variables=variables)
        if app is not None and app.group(1) == "socket":
            channel.variables["_socket"] = app.group(2)
        self.channels[channel.uuid] = channel
        if variables.get(_CALL_ID, "").isdigit():
            self.originated[int(variables[_CALL_ID])] = channel
        return f"+OK {channel.uuid}\n"

    async def broadcast(self, name: str, headers: dict[str, str]) -> None:
        """An event to every inbound ESL listener subscribed to it."""
        frame = encode_event(name, headers)
        for writer, names in list(self._listeners.items()):
            if (name in names or "ALL" in names) and not writer.is_closing():
                writer.write(frame)
                with contextlib.suppress(ConnectionError):
                    await writer.drain()


def self_number(dial_string: str) -> str:
    """The number or extension at the end of a dial string."""
    return dial_string.rsplit("/", 1)[-1]
