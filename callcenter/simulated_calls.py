"""Simulated calls: keys, words and silence from the phone page, and the network's Gather timeout.

A real network waits out a Gather's timeout after its prompt, then reports no input (Twilio
posts an empty result to the gather webhook). The simulator does the same on the runtime
clock: a simulated call handed a Gather starts a timer for the prompts' spoken length plus the
Gather's timeout; a key, words, new actions or the call's end stop it, and when it runs out the
call takes the same no-input step as on Twilio, heard on the phone page as ``phone.actions``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from callcenter import caller_input, events, prompt_timing, service
from callcenter.lifespan import callcenter_of
from callcenter.models import CallLeg
from callcenter.port import CallAction, CallStatus
from runtime.context import Runtime


async def send_input(runtime: Runtime, *, call_id: int, digits: str | None,
                     speech: str | None) -> tuple[CallLeg, tuple[CallAction, ...]]:
    """A key, words, or silence (neither) on a simulated call: the next step, stored and
    published; raises CallNotFoundError for an unknown call."""
    async with callcenter_of(runtime).phone_lock:
        call, actions = await _step(runtime, call_id, digits=digits, speech=speech)
    events.publish_call(runtime.bus, call)
    return call, actions


def listen(runtime: Runtime, call: CallLeg, actions: tuple[CallAction, ...]) -> None:
    """The phone now plays ``actions``: a Gather among them starts the call's silence timer;
    anything else, or the call's end, stops the timer before."""
    center = callcenter_of(runtime)
    wait = prompt_timing.silence_after(actions)
    if wait is None or call.ended_at is not None:
        center.disarm(call.id)
        return
    deadline = runtime.clock.now() + timedelta(seconds=wait)
    center.arm(call.id, _wait_out(runtime, call.id, deadline, len(call.ivr_path)))


async def _wait_out(runtime: Runtime, call_id: int, deadline: datetime, path_length: int) -> None:
    """At the deadline the caller has said nothing: no input, unless the call moved on."""
    remaining = (deadline - runtime.clock.now()).total_seconds()
    if remaining > 0:
        await runtime.clock.sleep(remaining)
    async with callcenter_of(runtime).phone_lock:
        async with runtime.sessions() as session:
            call = await session.get(CallLeg, call_id)
            moved = (call is None or call.ended_at is not None or call.operator is not None
                     or len(call.ivr_path) != path_length)
        if moved:
            return
        call, actions = await _step(runtime, call_id, digits=None, speech=None)
    events.publish_call(runtime.bus, call)
    events.publish_phone_actions(runtime.bus, call, actions)


async def _step(runtime: Runtime, call_id: int, *, digits: str | None,
                speech: str | None) -> tuple[CallLeg, tuple[CallAction, ...]]:
    async with runtime.sessions() as session:
        now = runtime.clock.now()
        actions = await caller_input.next_actions(session, call_id=call_id, digits=digits,
                                                  speech=speech, now=now)
        call = await service.get_call(session, call_id)
        if call.outcome == "callback_requested":  # the caller was told goodbye: the call ends
            await service.record_status(session, call=call, status=CallStatus.COMPLETED,
                                        now=now)
        await session.commit()
    listen(runtime, call, actions)
    return call, actions
