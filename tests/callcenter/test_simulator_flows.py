"""Whole calls through the simulated network and the real app: menu, queue, call-backs."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from accounts.models import AuditEntry
from accounts.roles import Role
from alarms import service as alarms_service
from callcenter import flows
from callcenter.lifespan import callcenter_of
from callcenter.models import CallCase
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.callcenter.conftest import (
    DAUGHTER_PHONE,
    SENIOR_PHONE,
    SON_PHONE,
    spoken,
)
from tests.callcenter.phones import Phone
from tests.conftest import LoginAs

UNKNOWN = "+8613700000077"


async def attempts(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = (await client.get("/api/v1/calls/cases",
                                                    headers=headers)).json()
    return cases


async def test_unknown_caller_menu_emergency_operator_answers(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime
) -> None:
    """An unknown caller hears the menu, presses 1, waits as an emergency, an operator answers."""
    operator = await login_as(Role.OPERATOR)
    call = await phone.dial(UNKNOWN)
    assert "紧急求助，请按1" in spoken(call)
    assert call["call"]["senior_id"] is None
    chose = await phone.press(call["call"]["id"], digits="1")
    assert "紧急转接" in spoken(chose)
    queue = (await client.get("/api/v1/calls/queue", headers=operator)).json()
    assert [(c["id"], c["queue"], c["priority"]) for c in queue] == \
        [(call["call"]["id"], "emergency", 1)]
    answered = await client.post(f"/api/v1/calls/{call['call']['id']}/answer", headers=operator)
    assert answered.status_code == 200
    assert answered.json()["operator"] == "test_operator"
    again = await client.post(f"/api/v1/calls/{call['call']['id']}/answer", headers=operator)
    assert again.status_code == 409
    assert (await client.get("/api/v1/calls/queue", headers=operator)).json() == []
    ended = await client.post(f"/api/v1/calls/{call['call']['id']}/hangup", headers=operator)
    assert ended.json()["outcome"] == "handled"
    assert ended.json()["ivr_path"][:2] == ["menu", "key:1"]


async def test_wrong_key_twice_reaches_a_person(phone: Phone, client: httpx.AsyncClient,
                                                login_as: LoginAs) -> None:
    """A stranger pressing two wrong keys is queued for a person."""
    call = await phone.dial(UNKNOWN)
    await phone.press(call["call"]["id"], digits="7")
    second = await phone.press(call["call"]["id"], digits="8")
    assert second["call"]["queue"] == "general"
    assert second["actions"][-1]["type"] == "enqueue"


async def test_senior_with_open_sos_skips_the_menu(phone: Phone, runtime: Runtime,
                                                   senior_id: int) -> None:
    """A senior whose SOS is still open goes straight to the emergency queue."""
    async with runtime.sessions() as session:
        await alarms_service.raise_alarm(session, senior_id=senior_id, kind="sos",
                                         at=runtime.clock.now(), voice_path=True)
        await session.commit()
    call = await phone.dial(SENIOR_PHONE)
    assert call["call"]["queue"] == "emergency"
    assert call["call"]["ivr_path"] == ["fast-path:open-alarm"]
    assert not any(a["type"] == "gather" for a in call["actions"])


async def test_data_sos_calls_back_then_contacts_in_order_with_texts(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int
) -> None:
    """A pendant SOS: the senior is called, no answer; the son is busy; the daughter answers.
    The first contact gets a text when the cascade opens and when it closes."""
    operator = await login_as(Role.OPERATOR)
    async with runtime.sessions() as session:
        await alarms_service.raise_alarm(session, senior_id=senior_id, kind="sos",
                                         at=runtime.clock.now())
        await session.commit()
    await flows.sweep(runtime)  # the sweep finds the alarm even with no bus event
    case = (await attempts(client, operator))[0]
    assert case["kind"] == "alarm_callback"
    assert [a["to"] for a in case["attempts"]] == [SENIOR_PHONE]
    calls = (await client.get("/api/v1/calls", headers=operator)).json()
    senior_leg = calls[0]["id"]
    await phone.event(senior_leg, "ringing")
    await phone.event(senior_leg, "no_answer")
    await callcenter_of(runtime).drain()
    son_leg = (await client.get("/api/v1/calls", headers=operator)).json()[0]
    assert son_leg["to"] == SON_PHONE
    await phone.event(son_leg["id"], "busy")
    await callcenter_of(runtime).drain()
    daughter_leg = (await client.get("/api/v1/calls", headers=operator)).json()[0]
    assert daughter_leg["to"] == DAUGHTER_PHONE
    answered = await phone.event(daughter_leg["id"], "answered")
    assert "王秀英发出了求助信号" in spoken(answered)
    await callcenter_of(runtime).drain()
    case = (await attempts(client, operator))[0]
    assert [(a["to"], a["outcome"]) for a in case["attempts"]] == [
        (SENIOR_PHONE, "no_answer"), (SON_PHONE, "busy"), (DAUGHTER_PHONE, None)]
    assert case["state"] == "closed" and case["outcome"] == "contact_reached"
    assert [(t["to"], t["reason"]) for t in case["texts"]] == [
        (SON_PHONE, "alarm_received"), (SON_PHONE, "contacting_family"), (SON_PHONE, "reached")]
    assert "已处理" not in " ".join(t["body"] for t in case["texts"])
    queue = (await client.get("/api/v1/calls/queue", headers=operator)).json()
    assert [c["id"] for c in queue] == [daughter_leg["id"]]


async def test_unanswered_ringing_times_out_on_the_clock(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, clock: ManualClock,
    senior_id: int
) -> None:
    """A call-back nobody picks up becomes a no-answer after the ring time, and the son is next."""
    operator = await login_as(Role.OPERATOR)
    async with runtime.sessions() as session:
        await alarms_service.raise_alarm(session, senior_id=senior_id, kind="fall",
                                         at=runtime.clock.now())
        await session.commit()
    await flows.sweep(runtime)
    clock.advance(31)
    await flows.sweep(runtime)
    case = (await attempts(client, operator))[0]
    assert [(a["to"], a["status"]) for a in case["attempts"]] == [
        (SENIOR_PHONE, "no_answer"), (SON_PHONE, "queued")]


async def test_abandoned_emergency_is_called_back_at_once(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime
) -> None:
    """An emergency caller who hangs up before an operator answers is rung straight back."""
    operator = await login_as(Role.OPERATOR)
    call = await phone.dial(UNKNOWN)
    await phone.press(call["call"]["id"], speech="救命")
    ended = await phone.event(call["call"]["id"], "completed")
    assert ended["call"]["outcome"] == "abandoned"
    await callcenter_of(runtime).drain()
    case = (await attempts(client, operator))[0]
    assert case["kind"] == "abandoned_callback"
    assert [a["to"] for a in case["attempts"]] == [UNKNOWN]


async def test_long_wait_offers_a_call_back_kept_as_a_task(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, clock: ManualClock
) -> None:
    """A policy caller waiting over 2 minutes is offered a call-back; pressing 1 makes a task."""
    operator = await login_as(Role.OPERATOR)
    call = await phone.dial(UNKNOWN)
    await phone.press(call["call"]["id"], digits="2")
    clock.advance(121)
    await flows.sweep(runtime)
    accepted = await phone.press(call["call"]["id"], digits="1")
    assert "回电" in spoken(accepted)
    assert (await client.get("/api/v1/calls/queue", headers=operator)).json() == []
    async with runtime.sessions() as session:
        task = await session.scalar(select(CallCase))
    assert task is not None and task.kind == "requested_callback" and task.state == "open"
    assert task.number == UNKNOWN
    done = await client.post(f"/api/v1/calls/cases/{task.id}/done", json={"outcome": "called"},
                             headers=operator)
    assert done.json()["state"] == "closed"
    async with runtime.sessions() as session:
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "callback.done"))
    assert audit is not None and audit.actor == "test_operator"


async def test_senior_who_calls_in_is_not_also_called_back(
    phone: Phone, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int
) -> None:
    """A senior with a data SOS who is already on the line with us is not rung back."""
    operator = await login_as(Role.OPERATOR)
    async with runtime.sessions() as session:
        await alarms_service.raise_alarm(session, senior_id=senior_id, kind="sos",
                                         at=runtime.clock.now())
        await session.commit()
    call = await phone.dial(SENIOR_PHONE)
    assert call["call"]["queue"] == "emergency"
    await flows.sweep(runtime)
    case = (await attempts(client, operator))[0]
    assert case["attempts"] == [] and case["outcome"] == "senior_called_in"
