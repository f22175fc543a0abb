"""The call centre's resources: the phone network adapter and its background work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends

from callcenter.alarm_link import AlarmDeviceLookup, NoAlarmDevices
from callcenter.no_network import NoPhoneNetwork
from callcenter.port import ServesConnections, TelephonyProvider
from callcenter.routing.lifespan import ROUTING
from callcenter.simulator import SimulatedNetwork
from callcenter.twilio_adapter import TwilioProvider
from config.exceptions import InsecureSettingsError
from runtime.context import Runtime
from runtime.deps import part_dependency
from runtime.parts import Part

log = logging.getLogger(__name__)


@dataclass
class CallCenterRuntime:
    """The provider, the device lookup, the short tasks webhooks hand slow work to, and the
    timers that wait out silence on simulated calls (one per call)."""

    provider: TelephonyProvider
    devices: AlarmDeviceLookup = field(default_factory=NoAlarmDevices)
    sweep_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    case_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # One step at a time on a simulated call: a key press and its silence timer never race.
    phone_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    # Not in ``tasks``: a timer sleeps until its deadline, and drain() must not wait for it.
    timers: dict[int, asyncio.Task[None]] = field(default_factory=dict)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run slow work after the webhook has answered; failures are logged, not lost."""
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call-centre task failed", exc_info=task.exception())

    def arm(self, call_id: int, timer: Coroutine[Any, Any, None]) -> None:
        """Start ``timer`` as the call's timer, cancelling the one before (unless that is the
        caller itself: a timer that ran out arms the next one)."""
        self.disarm(call_id)
        task = asyncio.create_task(timer)
        self.timers[call_id] = task
        task.add_done_callback(lambda done: self._timer_finished(call_id, done))

    def disarm(self, call_id: int) -> None:
        task = self.timers.pop(call_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def _timer_finished(self, call_id: int, task: asyncio.Task[None]) -> None:
        if self.timers.get(call_id) is task:
            del self.timers[call_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("call timer failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait until every spawned task (and any it spawned) has finished."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


def build_provider(runtime: Runtime) -> TelephonyProvider:
    settings = runtime.settings
    if settings.telephony == "twilio":
        if not (settings.twilio_account_sid and settings.twilio_auth_token
                and settings.twilio_from_number and settings.public_base_url):
            raise InsecureSettingsError(
                "ANXIN_TELEPHONY=twilio needs ANXIN_TWILIO_ACCOUNT_SID, ANXIN_TWILIO_AUTH_TOKEN, "
                "ANXIN_TWILIO_FROM_NUMBER and ANXIN_PUBLIC_BASE_URL")
        return TwilioProvider.from_settings(settings)
    if settings.telephony == "simulator":
        return SimulatedNetwork(bus=runtime.bus, sessions=runtime.sessions)
    if settings.telephony == "freeswitch":
        from callcenter.freeswitch.adapter import FreeSwitchNetwork  # it imports the flows

        password = settings.freeswitch_esl_password
        if password is None or password.get_secret_value() in ("", "ClueCon"):
            raise InsecureSettingsError(
                "ANXIN_TELEPHONY=freeswitch needs ANXIN_FREESWITCH_ESL_PASSWORD (not the "
                "public default ClueCon)")
        try:
            return FreeSwitchNetwork.from_settings(runtime)
        except ValueError as error:
            raise InsecureSettingsError(str(error)) from error
    log.warning("no phone network is configured: calls and texts fail (ANXIN_TELEPHONY)")
    return NoPhoneNetwork()


@asynccontextmanager
async def open_callcenter(runtime: Runtime) -> AsyncIterator[CallCenterRuntime]:
    """Open the configured phone network; on the way out, let in-flight work finish."""
    provider = build_provider(runtime)
    callcenter = CallCenterRuntime(provider=provider)
    # A network with its own connections (FreeSWITCH's sockets) runs them until shutdown.
    serving = [asyncio.create_task(provider.serve(), name="telephony")] \
        if isinstance(provider, ServesConnections) else []
    try:
        yield callcenter
    finally:
        pending = [*serving, *callcenter.tasks, *callcenter.timers.values()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


# Calls in flight offer tasks to the desk: the desk opens before and closes after them.
CALLCENTER = Part("callcenter", open_callcenter, needs=(ROUTING,))
CallCenterDep = Annotated[CallCenterRuntime, Depends(part_dependency(CALLCENTER))]


def callcenter_of(runtime: Runtime) -> CallCenterRuntime:
    return runtime.part(CALLCENTER)
