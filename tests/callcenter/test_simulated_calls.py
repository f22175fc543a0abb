"""Calls on the simulator behave like calls on a real network: a registered senior is greeted
by name and queued at once, and silence moves the menu on by itself on the injected clock."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from accounts.roles import Role
from alarms import service as alarms_service
from callcenter import flows, ivr, prompt_timing
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.callcenter.conftest import SENIOR_PHONE, spoken
from tests.callcenter.phones import Phone
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body

UNKNOWN = "+8613700000077"
FIRST_SILENCE = prompt_timing.spoken_seconds(ivr.PROMPTS[ivr.ZH]["menu"]) \
    + ivr.GATHER_TIMEOUTS["menu"]
SECOND_SILENCE = prompt_timing.spoken_seconds(ivr.PROMPTS[ivr.ZH]["menu_repeat"]) \
    + ivr.GATHER_TIMEOUTS["menu_repeat"]


async def waiting(client: httpx.AsyncClient, headers: dict[str, str]) -> list[tuple[Any, ...]]:
    queue = (await client.get("/api/v1/calls/queue", headers=headers)).json()
    return [(c["id"], c["queue"], c["priority"]) for c in queue]


async def call_of(client: httpx.AsyncClient, headers: dict[str, str],
                  call_id: int) -> dict[str, Any]:
    calls: list[dict[str, Any]] = (await client.get("/api/v1/calls", headers=headers)).json()
    return next(c for c in calls if c["id"] == call_id)


async def test_silent_caller_reaches_a_person_after_two_timeouts(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, clock: ManualClock
) -> None:
    """A stranger who presses nothing hears the short repeat once the menu's Gather timeout has
    passed, and is queued for a person once the repeat's has: nobody presses 'say nothing'."""
    operator = await login_as(Role.OPERATOR)
    call = await phone.dial(UNKNOWN)
    call_id = call["call"]["id"]
    clock.advance(FIRST_SILENCE - 0.5)
    await asyncio.sleep(0.05)
    assert (await call_of(client, operator, call_id))["ivr_path"] == ["menu"]
    clock.advance(1)
    repeat = await phone.heard(call_id)
    assert [a["type"] for a in repeat["actions"]] == ["gather"]
    assert "稍候转人工" in spoken(repeat)
    assert await waiting(client, operator) == []
    clock.advance(SECOND_SILENCE + 0.5)
    queued = await phone.heard(call_id)
    assert queued["actions"][-1] == {"type": "enqueue", "queue": "general", "priority": 3}
    assert await waiting(client, operator) == [(call_id, "general", 3)]
    assert (await call_of(client, operator, call_id))["ivr_path"] == \
        ["menu", "silence", "silence:human"]


async def test_a_key_before_the_timeout_stops_the_silence_timer(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, clock: ManualClock
) -> None:
    """A caller who chose policy questions is not also taken through silence later."""
    operator = await login_as(Role.OPERATOR)
    call = await phone.dial(UNKNOWN)
    call_id = call["call"]["id"]
    await phone.press(call_id, digits="2")
    clock.advance(FIRST_SILENCE + SECOND_SILENCE + 5)
    await asyncio.sleep(0.05)
    assert (await call_of(client, operator, call_id))["ivr_path"] == ["menu", "key:2"]
    assert await waiting(client, operator) == [(call_id, "policy", 3)]


async def test_a_caller_who_hangs_up_in_the_menu_stays_ended(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, clock: ManualClock
) -> None:
    """Hanging up in the menu stops the timer: the ended call is never queued afterwards."""
    operator = await login_as(Role.OPERATOR)
    call = await phone.dial(UNKNOWN)
    call_id = call["call"]["id"]
    ended = await phone.event(call_id, "completed")
    assert ended["call"]["outcome"] == "ended_in_menu"
    clock.advance(FIRST_SILENCE + SECOND_SILENCE + 5)
    await asyncio.sleep(0.05)
    assert (await call_of(client, operator, call_id))["ivr_path"] == ["menu"]
    assert await waiting(client, operator) == []


async def test_registered_senior_is_greeted_by_name_and_queued_at_once(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, senior_id: int
) -> None:
    """A call from a senior's registered number skips the menu: a greeting by name and the
    queue at priority 2 from the first answer."""
    operator = await login_as(Role.OPERATOR)
    call = await phone.dial(SENIOR_PHONE)
    assert [a["type"] for a in call["actions"]] == ["say", "enqueue"]
    assert spoken(call).startswith("王秀英您好")
    assert call["call"]["senior_id"] == senior_id
    assert call["call"]["ivr_path"] == ["fast-path:known"]
    assert await waiting(client, operator) == [(call["call"]["id"], "general", 2)]


async def test_registered_senior_with_an_open_alarm_is_queued_at_p1_by_name(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int
) -> None:
    """With an open SOS the same call goes to the emergency queue at priority 1, still greeted
    by name."""
    operator = await login_as(Role.OPERATOR)
    async with runtime.sessions() as session:
        await alarms_service.raise_alarm(session, senior_id=senior_id, kind="sos",
                                         at=runtime.clock.now(), voice_path=True)
        await session.commit()
    call = await phone.dial(SENIOR_PHONE)
    assert spoken(call).startswith("王秀英您好") and "紧急转接" in spoken(call)
    assert call["call"]["ivr_path"] == ["fast-path:open-alarm"]
    assert await waiting(client, operator) == [(call["call"]["id"], "emergency", 1)]


async def test_shared_landline_is_greeted_without_a_name(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, senior_id: int
) -> None:
    """Two seniors registered on one landline: the fast path still applies, but nobody is
    addressed by a name that may be the other person's."""
    supervisor = await login_as(Role.SUPERVISOR)
    spouse = senior_body(name="李建国", resident_id="150102194401010015",
                         phones=["0471-6543210"], contacts=[])
    created = await client.post("/api/v1/seniors", json=spouse, headers=supervisor)
    assert created.status_code == 201, created.text
    operator = await login_as(Role.OPERATOR)
    call = await phone.dial("0471-6543210")
    assert spoken(call).startswith("您好，这里是12349")
    assert "王秀英" not in spoken(call) and "李建国" not in spoken(call)
    assert await waiting(client, operator) == [(call["call"]["id"], "general", 2)]


async def test_silence_to_the_wellbeing_question_reaches_a_person_by_itself(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
    clock: ManualClock, senior_id: int
) -> None:
    """A senior who answers a wellbeing call but says nothing is queued for the service team
    once the question's timeout has passed, as on Twilio."""
    supervisor = await login_as(Role.SUPERVISOR)
    created = await client.post("/api/v1/calls/campaigns", headers=supervisor,
                                json={"kind": "wellbeing", "name": "周一关怀回访"})
    assert created.status_code == 201, created.text
    await flows.sweep(runtime)
    (call,) = (await client.get("/api/v1/calls", headers=supervisor)).json()
    answered = await phone.event(call["id"], "answered")
    question = next(a for a in answered["actions"] if a["type"] == "gather")
    assert question["timeout_seconds"] == ivr.GATHER_TIMEOUTS["wellbeing"]
    clock.advance(prompt_timing.spoken_seconds(question["prompt"])
                  + question["timeout_seconds"] + 0.5)
    helped = await phone.heard(call["id"])
    assert helped["actions"][-1] == {"type": "enqueue", "queue": "service", "priority": 2}
    assert await waiting(client, supervisor) == [(call["id"], "service", 2)]
