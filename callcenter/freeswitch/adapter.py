"""FreeSWITCH as the phone network: calls to 12349 over outbound sockets, control and the event
stream over one inbound ESL link (``ANXIN_FREESWITCH_ESL``).

The control link reconnects by itself. After every (re)connect the legs Anxin thinks are live
are checked against the switch's own channel list: a leg the switch no longer has ended while
the link was down; a queued caller the switch still has stays queued.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid as uuids
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import select

from callcenter.freeswitch import render
from callcenter.freeswitch.call_session import (
    CALL_ID_VAR,
    CallSession,
    apply_status,
    final_status,
)
from callcenter.freeswitch.esl import (
    EslClosedError,
    EslConnection,
    EslProtocolError,
    Event,
    authenticate,
)
from callcenter.lifespan import callcenter_of
from callcenter.models import CallLeg
from callcenter.port import CallAction, CallStatus, Conference
from callcenter.twilio_adapter import conference_name
from config.settings import Settings
from runtime.context import Runtime

log = logging.getLogger(__name__)
PROVIDER = "freeswitch"
SUBSCRIBED = ("CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER CHANNEL_BRIDGE "
              "CHANNEL_HANGUP_COMPLETE DTMF BACKGROUND_JOB")
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
ANSWERED_STATES = frozenset({"ACTIVE", "HELD"})  # a channel's callstate once answered


class SmsUnsupportedError(RuntimeError):
    """FreeSWITCH carries voice; texts need a message gateway."""


class RecordingRefusedError(RuntimeError):
    """The switch answered ``uuid_record`` with an error (no such channel, no space...)."""


def _read_if_present(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def parse_address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"ANXIN_FREESWITCH_ESL must be host:port, not {value!r}")
    return host, int(port)


@dataclass
class FreeSwitchNetwork:
    """A TelephonyProvider over FreeSWITCH's event socket."""

    runtime: Runtime
    voice: render.Voice
    esl_address: tuple[str, int]
    password: str
    socket_address: tuple[str, int]
    gateway: str
    ring_seconds: int = 30
    name: str = PROVIDER
    dials_operators: bool = True
    supports_monitoring: bool = True
    sessions: dict[str, CallSession] = field(default_factory=dict)
    control: EslConnection | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    listening_port: int = 0
    # Where each conference's caller is (uuid): a silent listener eavesdrops on them.
    callers: dict[str, str] = field(default_factory=dict)
    recorded: tuple[str, ...] = ()  # recorded-only languages with every prompt recorded
    # The handler of each call socket: they end with serve(), not after the app has stopped.
    call_sockets: set[asyncio.Task[None]] = field(default_factory=set)
    recording_dir: Path = Path("/var/lib/freeswitch/recordings/anxin")

    @classmethod
    def from_settings(cls, runtime: Runtime) -> FreeSwitchNetwork:
        settings: Settings = runtime.settings
        voice = render.Voice(prompt_dir=settings.freeswitch_prompt_dir,
                             tts_engine=settings.freeswitch_tts_engine,
                             tts_voice=settings.freeswitch_tts_voice,
                             asr=settings.freeswitch_asr,
                             hold_music=settings.freeswitch_hold_music)
        password = settings.freeswitch_esl_password
        return cls(runtime=runtime, voice=voice,
                   esl_address=parse_address(settings.freeswitch_esl),
                   password=password.get_secret_value() if password else "",
                   socket_address=(settings.freeswitch_socket_host,
                                   settings.freeswitch_socket_port),
                   gateway=settings.freeswitch_gateway,
                   ring_seconds=settings.outbound_ring_seconds,
                   recording_dir=settings.freeswitch_recording_dir)

    # The port: what the flows ask of a phone network.

    async def place_call(self, *, call_id: int, to: str) -> str:
        """Originate in the background; the leg answered runs through our socket."""
        return await self._originate(call_id, to, f"&socket({self._socket_target()})")

    async def dial_into_conference(self, *, call_id: int, to: str, conference: str,
                                   muted: bool = False) -> str:
        caller = self.callers.get(conference)
        if muted and caller is not None:
            return await self._originate(call_id, to, f"&eavesdrop({caller})")
        flags = "+flags{mute}" if muted else ""
        return await self._originate(
            call_id, to, f"&conference({conference}@{render.CONFERENCE_PROFILE}{flags})")

    async def send_sms(self, *, to: str, body: str) -> str:
        raise SmsUnsupportedError("FreeSWITCH sends no texts: configure a message gateway")

    async def bridge_to_operator(self, *, call_sid: str, call_id: int, operator: str) -> None:
        """Take the waiting caller off hold into the call's conference; the operator's own
        extension is dialled into it by the flow (``dials_operators``)."""
        name = conference_name(call_id)
        self.callers[name] = call_sid
        session = self.sessions.get(call_sid)
        if session is not None:
            await session.offer((Conference(name),))
            return
        target = f"conference:{name}@{render.CONFERENCE_PROFILE}"
        await self._api(f"uuid_transfer {call_sid} '{target}' inline")

    async def hang_up(self, *, call_sid: str) -> None:
        await self._api(f"uuid_kill {call_sid} NORMAL_CLEARING")

    async def start_recording(self, *, call_sid: str, call_id: int) -> str:
        """``uuid_record`` both parties into the shared recording folder; the file's name is
        the recording's reference."""
        name = f"{call_id}-{call_sid}.wav"
        reply = await self._api(f"uuid_record {call_sid} start {self.recording_dir / name}")
        if not reply.startswith("+OK"):
            raise RecordingRefusedError(f"FreeSWITCH would not record {call_sid}: "
                                        f"{reply.strip()}")
        return name

    async def fetch_recording(self, *, recording_ref: str) -> bytes | None:
        """The WAV the switch wrote, once the call is over (it is still growing before)."""
        if "/" in recording_ref or recording_ref.startswith("."):
            raise ValueError(f"not a recording of ours: {recording_ref!r}")
        call_sid = recording_ref.removesuffix(".wav").partition("-")[2]
        session = self.sessions.get(call_sid)
        if session is not None and not session.ended:
            return None
        path = self.recording_dir / recording_ref
        return await asyncio.to_thread(_read_if_present, path)

    async def play(self, *, call_sid: str, actions: tuple[CallAction, ...]) -> bool:
        """Actions for a caller waiting on one of our sockets; False if no such caller."""
        session = self.sessions.get(call_sid)
        if session is None or session.ended:
            return False
        await session.offer(actions)
        return True

    async def _originate(self, call_id: int, to: str, app: str) -> str:
        sid = str(uuids.uuid4())
        variables = {"origination_uuid": sid, CALL_ID_VAR: str(call_id),
                     "originate_timeout": str(self.ring_seconds),
                     "origination_caller_id_number": self.runtime.settings.hotline_number}
        target = render.dial_string(to, gateway=self.gateway, variables=variables)
        reply = await self._command(f"bgapi originate {target} {app}")
        if not reply.startswith("+OK"):
            raise RuntimeError(f"originate refused: {reply[:120]}")
        return sid

    def _socket_target(self) -> str:
        host, port = self.socket_address
        return f"{host}:{self.listening_port or port} async full"

    async def _api(self, command: str) -> str:
        conn = await self._control()
        return await conn.api(command)

    async def _command(self, line: str) -> str:
        conn = await self._control()
        return (await conn.command(line)).reply_text

    async def _control(self) -> EslConnection:
        async with asyncio.timeout(5):
            await self.connected.wait()
        assert self.control is not None
        return self.control

    # The background work: the socket server and the control link.

    async def serve(self) -> None:
        """Run until cancelled: accept call sockets, keep the control link up."""
        self.voice = await asyncio.to_thread(self.voice.scanned)
        self.recorded = self.voice.recorded_languages()
        host, port = self.socket_address
        server = await asyncio.start_server(self._accept, host, port)
        self.listening_port = server.sockets[0].getsockname()[1]
        log.info("FreeSWITCH call sockets on %s:%s", host, self.listening_port)
        async with server:
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._control_forever(), name="freeswitch-control")
            finally:
                await self._end_call_sockets()

    async def _end_call_sockets(self) -> None:
        """Stopping: each call socket's handler ends now; the switch keeps the channel, and
        the next start's recovery reads what became of it."""
        for task in self.call_sockets:
            task.cancel()
        await asyncio.gather(*self.call_sockets, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self.call_sockets.add(handler)
        conn = EslConnection(reader, writer)
        reading = asyncio.create_task(conn.read_forever())
        session: CallSession | None = None
        stopping = False
        try:
            reply = await conn.command("connect")  # the reply is the channel's data
            data = {name: unquote(value) for name, value in reply.headers.items()}
            uuid = data.get("Unique-ID", "")
            await conn.command("myevents")
            await conn.command("linger")
            session = CallSession(self.runtime, conn, self.voice, uuid)
            self.sessions[uuid] = session
            await session.start(data, recorded=self.recorded)
            while (event := await conn.events.get()) is not None:
                await session.on_event(event)
        except (EslClosedError, EslProtocolError, ConnectionError) as error:
            log.info("call socket closed: %s", error)
        except asyncio.CancelledError:
            stopping = True
            raise
        except Exception:
            log.exception("call socket failed")
        finally:
            self.call_sockets.discard(handler)
            if session is not None:
                self.sessions.pop(session.uuid, None)
                if not session.ended and not stopping:  # gone without a hang-up: ask the switch
                    callcenter_of(self.runtime).spawn(self._check_channel(session.uuid))
            reading.cancel()
            writer.close()

    async def _check_channel(self, uuid: str) -> None:
        try:
            alive = await self.live_channels()
        except (EslClosedError, TimeoutError):
            return
        if uuid not in alive:
            await apply_status(self.runtime, sid=uuid, status=CallStatus.COMPLETED)

    async def _control_forever(self) -> None:
        attempt = 0
        while True:
            try:
                await self._control_once()
                attempt = 0
            except (OSError, EslClosedError, EslProtocolError) as error:
                log.warning("FreeSWITCH control link down: %s", error)
            self.connected.clear()
            self.control = None
            # Wall-clock backoff: this waits for a network, not for the centre's business time.
            await asyncio.sleep(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])
            attempt += 1

    async def _control_once(self) -> None:
        reader, writer = await asyncio.open_connection(*self.esl_address)
        await authenticate(reader, writer, self.password)
        conn = EslConnection(reader, writer)
        reading = asyncio.create_task(conn.read_forever())
        try:
            await conn.command(f"event plain {SUBSCRIBED}")
            self.control = conn
            self.connected.set()
            await self.recover()
            while (event := await conn.events.get()) is not None:
                await self._on_control_event(event)
        finally:
            reading.cancel()
            writer.close()

    async def live_channels(self) -> dict[str, str]:
        """The channels the switch has now: each one's call state (``RINGING``, ``EARLY``,
        ``ACTIVE``, ``HELD``…) by uuid."""
        raw = await self._api("show channels as json")
        try:
            rows = json.loads(raw).get("rows") or []
        except (ValueError, AttributeError):
            raise EslProtocolError(f"unreadable channel list: {raw[:80]!r}") from None
        return {str(row.get("uuid")): str(row.get("callstate") or "")
                for row in rows if isinstance(row, dict)}

    async def recover(self) -> None:
        """Legs Anxin holds as live that the switch no longer has ended while we could not
        hear: they end now (an unanswered outbound leg as no-answer). A leg the switch has
        answered meanwhile is in progress (statuses only move forward, so this is safe)."""
        alive = await self.live_channels()
        async with self.runtime.sessions() as session:
            rows = (await session.execute(select(CallLeg.provider_sid, CallLeg.direction,
                                                 CallLeg.answered_at).where(
                CallLeg.provider == PROVIDER, CallLeg.ended_at.is_(None),
                CallLeg.provider_sid.is_not(None)))).all()
        for sid, direction, answered_at in rows:
            if sid is None:
                continue
            if sid in alive:
                if answered_at is None and alive[sid] in ANSWERED_STATES:
                    await apply_status(self.runtime, sid=sid, status=CallStatus.IN_PROGRESS)
                continue
            self._forget_caller(sid)
            unanswered = direction == "outbound" and answered_at is None
            await apply_status(self.runtime, sid=sid, status=CallStatus.NO_ANSWER
                               if unanswered else CallStatus.COMPLETED)

    def _forget_caller(self, uuid: str) -> None:
        """A conference's caller who has hung up is no one to eavesdrop on any more."""
        for name in [name for name, caller in self.callers.items() if caller == uuid]:
            del self.callers[name]

    async def _on_control_event(self, event: Event) -> None:
        """A channel's news: a status, once and forward only. Unknown events and channels
        that are not ours are logged and ignored."""
        try:
            if event.name == "CHANNEL_HANGUP_COMPLETE":
                status: CallStatus | None = final_status(event.get("Hangup-Cause"))
                self._forget_caller(event.uuid)
            else:
                status = render.EVENT_STATUS.get(event.name)
            if event.name == "BACKGROUND_JOB" and event.body.startswith("-ERR"):
                log.info("background job failed: %s", event.body.strip()[:120])
            if status is None or not event.uuid:
                return
            if await apply_status(self.runtime, sid=event.uuid, status=status) is None:
                log.debug("event %s for a channel that is not ours", event.name)
        except Exception:
            log.exception("event %s not applied", event.name)
