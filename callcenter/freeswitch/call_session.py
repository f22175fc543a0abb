"""One caller's channel, handed to Anxin by the dialplan's ``socket`` application.

FreeSWITCH connects once per call (outbound-socket mode, ``async full``): the session says
``connect`` (the reply is the channel's data), asks for the channel's own events, then sends
the IVR's actions as applications. A finished gather, a key while waiting, or the hang-up
each become the next step of the same provider-neutral flow the other networks drive.
"""

from __future__ import annotations

import asyncio
import logging
import uuid as uuids
from collections.abc import Mapping
from dataclasses import dataclass, field

from callcenter import caller_input, events, flows, service
from callcenter.freeswitch import render
from callcenter.freeswitch.esl import EslConnection, Event
from callcenter.lifespan import callcenter_of
from callcenter.models import CallLeg
from callcenter.port import CallAction, CallStatus
from runtime.context import Runtime

log = logging.getLogger(__name__)
CALL_ID_VAR = "anxin_call_id"  # set on legs we originate; absent on calls to 12349


@dataclass
class CallSession:
    """The conversation on one channel; steps run one at a time."""

    runtime: Runtime
    conn: EslConnection
    voice: render.Voice
    uuid: str
    call_id: int = 0
    # The gather whose result is awaited (its Event-UUID); a gather we broke is not input.
    gather_id: str | None = None
    parked: bool = False
    ended: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start(self, headers: Mapping[str, str], *, recorded: tuple[str, ...]) -> None:
        """The first actions: the menu or fast path for a call to 12349, or what the person
        who answered one of our calls hears. ``headers``: the channel's data, decoded."""
        known_id = headers.get(f"variable_{CALL_ID_VAR}", "")
        async with self.lock:
            if known_id.isdigit():
                actions = await self._answered(int(known_id))
            else:
                actions = await self._inbound(headers, recorded=recorded)
            await self.play(actions)

    async def _inbound(self, headers: Mapping[str, str],
                       *, recorded: tuple[str, ...]) -> tuple[CallAction, ...]:
        async with self.runtime.sessions() as session:
            call, actions = await service.begin_inbound(
                session, provider="freeswitch", sid=self.uuid,
                from_number=headers.get("Caller-Caller-ID-Number", ""),
                to_number=headers.get("Caller-Destination-Number", "")
                or self.runtime.settings.hotline_number,
                devices=callcenter_of(self.runtime).devices, now=self.runtime.clock.now(),
                recorded=recorded)
            await session.commit()
        self.call_id = call.id
        events.publish_call(self.runtime.bus, call)
        return actions

    async def _answered(self, call_id: int) -> tuple[CallAction, ...]:
        self.call_id = call_id
        async with self.runtime.sessions() as session:
            call = await service.get_call(session, call_id)
            changed = await service.record_status(session, call=call,
                                                  status=CallStatus.IN_PROGRESS,
                                                  now=self.runtime.clock.now())
            actions = await flows.answered_actions(session, call=call,
                                                   now=self.runtime.clock.now())
            await session.commit()
        events.publish_call(self.runtime.bus, call)
        if changed and flows.needs_follow_up(call):
            callcenter_of(self.runtime).spawn(flows.after_status(self.runtime, call.id))
        return actions

    async def play(self, actions: tuple[CallAction, ...]) -> None:
        """Perform the actions on the channel (a parked caller is taken off hold first)."""
        if not actions or self.ended:
            return
        if self.parked:
            self.parked = False
            await self.conn.api(f"uuid_break {self.uuid} all")
        for app in render.render(actions, voice=self.voice):
            await self.execute(app)

    async def execute(self, app: render.App) -> None:
        headers = {"call-command": "execute", "execute-app-name": app.name}
        if app.arg:
            headers["execute-app-arg"] = app.arg
        if app.name in render.GATHER_APPS:
            self.gather_id = str(uuids.uuid4())
            headers["Event-UUID"] = self.gather_id
        await self.conn.command("sendmsg", headers)
        if app.name == "park":  # park itself is silent: hold music over it
            self.parked = True
            await self.conn.api(f"uuid_broadcast {self.uuid} {self.voice.hold_music} aleg")

    async def on_event(self, event: Event) -> None:
        """One event of this channel: a gather's result, a key while waiting, the end."""
        async with self.lock:
            if self.ended:
                return
            if event.name == "CHANNEL_EXECUTE_COMPLETE":
                await self._gathered(event)
            elif event.name == "DTMF" and self.gather_id is None:
                await self._input(event.get("DTMF-Digit") or None, None)
            elif event.name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"):
                await self.hung_up(event.get("Hangup-Cause", "NORMAL_CLEARING"))

    async def _gathered(self, event: Event) -> None:
        app = event.get("Application")
        if app not in render.GATHER_APPS or event.get("Application-UUID") != self.gather_id:
            return
        self.gather_id = None
        variables = {k[len("variable_"):]: v for k, v in event.headers.items()
                     if k.startswith("variable_")}
        digits, speech = render.gather_result(app, variables)
        await self._input(digits, speech)

    async def _input(self, digits: str | None, speech: str | None) -> None:
        now = self.runtime.clock.now()
        async with self.runtime.sessions() as session:
            actions = await caller_input.next_actions(session, call_id=self.call_id,
                                                      digits=digits, speech=speech, now=now)
            call = await service.get_call(session, self.call_id)
            await session.commit()
        events.publish_call(self.runtime.bus, call)
        await self.play(actions)

    async def offer(self, actions: tuple[CallAction, ...]) -> None:
        """Actions from outside the conversation (a call-back offer, the operator's
        conference) for a waiting caller."""
        async with self.lock:
            await self.play(actions)

    async def hung_up(self, cause: str) -> None:
        self.ended = True
        self.gather_id = None
        if self.call_id:
            await apply_status(self.runtime, sid=self.uuid, status=final_status(cause))


def final_status(cause: str) -> CallStatus:
    return render.HANGUP_STATUS.get(cause, CallStatus.FAILED)


async def apply_status(runtime: Runtime, *, sid: str, status: CallStatus) -> CallLeg | None:
    """A leg's news from the switch, applied once and only forward; the follow-up work (the
    next number of a cascade, an abandoned emergency's call-back) runs after. None: not ours."""
    async with runtime.sessions() as session:
        found = await service.find_by_sid_with_status(session, sid, status)
        if found is None:
            return None
        call, reached = found
        changed = await service.record_status(session, call=call, status=status,
                                              now=runtime.clock.now(), reached=reached)
        await session.commit()
    if changed:
        events.publish_call(runtime.bus, call)
        if flows.needs_follow_up(call):
            callcenter_of(runtime).spawn(flows.after_status(runtime, call.id))
    return call
