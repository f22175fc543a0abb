"""The caller's side of a call on either network the scenarios run against: the simulator's
phone page (HTTP) or a FreeSWITCH played by the fake switch (the event socket).

Both answer in the simulator's shape, ``{"call": …, "actions": […]}``; on FreeSWITCH the
actions are read back from the applications the switch was asked to run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from callcenter import events, service
from callcenter.freeswitch import render
from callcenter.freeswitch.fake_switch import FakeChannel, FakeSwitch, spoken_text
from callcenter.port import STATUS_RANK, CallStatus
from runtime.bus import Subscription
from runtime.context import Runtime
from tests.callcenter.conftest import dial, phone_event, press

WAIT_SECONDS = 5
HANGUP_CAUSES = {"no_answer": "NO_ANSWER", "busy": "USER_BUSY", "failed": "NETWORK_OUT_OF_ORDER",
                 "completed": "NORMAL_CLEARING"}
EVENT_STATUS = {"ringing": CallStatus.RINGING, "answered": CallStatus.IN_PROGRESS,
                "no_answer": CallStatus.NO_ANSWER, "busy": CallStatus.BUSY,
                "failed": CallStatus.FAILED, "completed": CallStatus.COMPLETED}


class Phone(Protocol):
    async def dial(self, number: str) -> dict[str, Any]: ...

    async def press(self, call_id: int, *, digits: str | None = None,
                    speech: str | None = None) -> dict[str, Any]: ...

    async def event(self, call_id: int, kind: str) -> dict[str, Any]: ...

    async def heard(self, call_id: int) -> dict[str, Any]:
        """The next actions the caller hears without doing anything (a timeout's step)."""
        ...


@dataclass
class SimulatedPhone:
    client: httpx.AsyncClient
    headers: dict[str, str]
    subscription: Subscription

    async def dial(self, number: str) -> dict[str, Any]:
        return await dial(self.client, self.headers, number)

    async def press(self, call_id: int, *, digits: str | None = None,
                    speech: str | None = None) -> dict[str, Any]:
        body = {k: v for k, v in (("digits", digits), ("speech", speech)) if v is not None}
        return await press(self.client, self.headers, call_id, **body)

    async def event(self, call_id: int, kind: str) -> dict[str, Any]:
        return await phone_event(self.client, self.headers, call_id, kind)

    async def heard(self, call_id: int) -> dict[str, Any]:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                event = await self.subscription.next()
                if event.topic == "phone.actions" and event.data["call_id"] == call_id:
                    return {"actions": event.data["actions"]}


@dataclass
class SwitchPhone:
    runtime: Runtime
    switch: FakeSwitch
    subscription: Subscription
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    seen: dict[int, int] = field(default_factory=dict)  # apps already reported per call
    marks: dict[int, int] = field(default_factory=dict)  # waits already reported per call

    async def dial(self, number: str) -> dict[str, Any]:
        channel = await self.switch.call_in(number)
        async with asyncio.timeout(WAIT_SECONDS):
            await channel.settled(0)
            call_id = await self._call_id(channel.uuid)
        self.channels[call_id] = channel
        return await self._answer(call_id, channel)

    async def press(self, call_id: int, *, digits: str | None = None,
                    speech: str | None = None) -> dict[str, Any]:
        channel = self.channels[call_id]
        mark = self.marks.get(call_id, 0)
        if digits is not None:
            await channel.press(digits)
        elif speech is not None:
            await channel.say(speech)
        async with asyncio.timeout(WAIT_SECONDS):
            await channel.settled(mark)
        return await self._answer(call_id, channel)

    async def event(self, call_id: int, kind: str) -> dict[str, Any]:
        channel = self.channels.get(call_id) or self.switch.originated[call_id]
        self.channels[call_id] = channel
        mark = self.marks.get(call_id, channel.blocking)
        if kind == "ringing":
            await self.switch.ring(channel)
        elif kind == "answered":
            await self.switch.answer(channel)
        else:
            await channel.hang_up(HANGUP_CAUSES[kind])
        async with asyncio.timeout(WAIT_SECONDS):
            await self._published(call_id, EVENT_STATUS[kind])
            if kind == "answered":
                await channel.settled(mark)
        return await self._answer(call_id, channel)

    async def heard(self, call_id: int) -> dict[str, Any]:
        channel = self.channels[call_id]
        async with asyncio.timeout(WAIT_SECONDS):
            await channel.settled(self.marks.get(call_id, 0))
        return await self._answer(call_id, channel)

    async def _published(self, call_id: int, status: CallStatus) -> None:
        """Until the adapter has published the leg at ``status`` or later (follow-up work is
        spawned by then)."""
        while True:
            event = await self.subscription.next()
            if event.topic == "call.updated" and event.data["id"] == call_id \
                    and STATUS_RANK[CallStatus(event.data["status"])] >= STATUS_RANK[status]:
                return

    async def _call_id(self, sid: str) -> int:
        while True:
            async with self.runtime.sessions() as session:
                call = await service.find_by_sid(session, sid)
            if call is not None:
                return call.id
            await asyncio.sleep(0.01)

    async def _answer(self, call_id: int, channel: FakeChannel) -> dict[str, Any]:
        start = self.seen.get(call_id, 0)
        self.seen[call_id] = len(channel.apps)
        self.marks[call_id] = channel.blocking
        async with self.runtime.sessions() as session:
            call = await service.get_call(session, call_id)
        return {"call": events.call_data(call),
                "actions": actions_of(channel.apps[start:], channel.variables)}


def actions_of(apps: list[render.App], variables: dict[str, str]) -> list[dict[str, Any]]:
    """The applications the switch ran, read back as the port's actions."""
    found: list[dict[str, Any]] = []
    for app in apps:
        if app.name == "speak":
            found.append({"type": "say", "text": spoken_text("speak:" + app.arg)})
        elif app.name in render.GATHER_APPS:
            found.append(_gather(app))
        elif app.name == "park":
            found.append({"type": "enqueue", "queue": variables.get("anxin_queue"),
                          "priority": int(variables.get("anxin_priority", "0"))})
        elif app.name == "hangup":
            found.append({"type": "hangup"})
        elif app.name == "conference":
            found.append({"type": "conference", "name": app.arg.split("@")[0]})
    return found


def _gather(app: render.App) -> dict[str, Any]:
    if app.name == "play_and_get_digits":
        parts = app.arg.split(" ")
        prompt, timeout_ms = " ".join(parts[5:-3]), int(parts[3])
    else:
        prompt = app.arg.split(" detect:")[0]
        timeout_ms = int(app.arg.split("no-input-timeout=")[1].split("}")[0])
    return {"type": "gather", "prompt": spoken_text(prompt), "timeout_seconds": timeout_ms // 1000}
