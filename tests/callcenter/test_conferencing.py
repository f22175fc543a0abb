"""Conference legs on the simulated network through the real app: parties joining a live
call, and calls an operator places themselves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from accounts.models import AuditEntry
from accounts.roles import Role
from callcenter import conferencing, events
from callcenter.exceptions import CallNotLiveError
from callcenter.lifespan import callcenter_of
from callcenter.simulator import SimulatedNetwork
from runtime.bus import BusEvent
from runtime.context import Runtime
from tests.callcenter.conftest import SON_PHONE, dial, phone_event, press
from tests.conftest import LoginAs

UNKNOWN = "+8613700000077"


async def answered_emergency(client: httpx.AsyncClient, operator: dict[str, str]) -> int:
    """An unknown caller presses 1 and the operator answers; the call's id."""
    call = await dial(client, operator, UNKNOWN)
    call_id: int = call["call"]["id"]
    await press(client, operator, call_id, digits="1")
    response = await client.post(f"/api/v1/calls/{call_id}/answer", headers=operator)
    assert response.status_code == 200, response.text
    return call_id


def ringing(seen: list[BusEvent]) -> list[dict[str, Any]]:
    return [e.data for e in seen if e.topic == events.PHONE_RINGING]


async def test_contact_dialled_into_a_live_call_joins_its_conference(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int) -> None:
    """The operator adds a contact: the phone rings with the purpose and the call's conference;
    answered, the contact hears only that they join it; the leg names its parent call."""
    operator = await login_as(Role.OPERATOR)
    call_id = await answered_emergency(client, operator)
    await runtime.bus.settled()  # the call's own events arrive before the subscription opens
    async with runtime.bus.subscribe() as subscription:
        response = await client.post(f"/api/v1/calls/{call_id}/parties", headers=operator,
                                     json={"to": "139 0000 0001", "purpose": "contact",
                                           "contact_position": 1})
        seen = [await subscription.next() for _ in range(2)]
    assert response.status_code == 201, response.text
    leg = response.json()
    assert (leg["to"], leg["purpose"], leg["parent_call_id"], leg["conference"]) == \
        (SON_PHONE, "contact", call_id, f"anxin-call-{call_id}")
    assert leg["requested_by"] == "test_operator" and leg["direction"] == "outbound"
    assert ringing(seen)[0]["purpose"] == "contact"
    assert ringing(seen)[0]["conference"] == f"anxin-call-{call_id}"
    assert ringing(seen)[0]["muted"] is False
    answered = await phone_event(client, operator, leg["id"], "answered")
    assert answered["actions"] == [{"type": "conference", "name": f"anxin-call-{call_id}"}]
    assert answered["call"]["status"] == "in_progress"
    assert (await client.get("/api/v1/calls/queue", headers=operator)).json() == []
    async with runtime.sessions() as session:
        audited = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert "call.add_party" in audited


async def test_supervisor_monitor_leg_is_always_muted(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime
) -> None:
    """A supervisor-monitor party joins muted even when the request did not ask for it."""
    operator = await login_as(Role.OPERATOR)
    call_id = await answered_emergency(client, operator)
    await runtime.bus.settled()  # the call's own events arrive before the subscription opens
    async with runtime.bus.subscribe() as subscription:
        leg = await conferencing.add_party(runtime, call_id=call_id, to="+8613900000009",
                                           purpose="supervisor_monitor",
                                           requested_by="test_supervisor")
        seen = [await subscription.next() for _ in range(2)]
    assert leg.purpose == "supervisor_monitor" and leg.parent_call_id == call_id
    assert ringing(seen)[0]["muted"] is True


async def test_nobody_joins_a_call_that_has_ended(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime
) -> None:
    """Adding a party to an ended call answers 409 naming the call, and dials nobody."""
    operator = await login_as(Role.OPERATOR)
    call_id = await answered_emergency(client, operator)
    await client.post(f"/api/v1/calls/{call_id}/hangup", headers=operator)
    response = await client.post(f"/api/v1/calls/{call_id}/parties", headers=operator,
                                 json={"to": "120", "purpose": "emergency_120"})
    assert response.status_code == 409
    assert f"call {call_id} is not live" in response.json()["detail"]
    calls = (await client.get("/api/v1/calls", headers=operator)).json()
    assert [c["id"] for c in calls] == [call_id]
    with pytest.raises(CallNotLiveError, match="not live"):
        await conferencing.add_party(runtime, call_id=call_id, to="120", purpose="emergency_120",
                                     requested_by="test_operator")


async def test_unknown_or_misplaced_purpose_is_refused(
    client: httpx.AsyncClient, login_as: LoginAs, senior_id: int) -> None:
    """A purpose the call centre does not know, or an own-call purpose on a live call, is a
    422 that names it, and nothing is dialled."""
    operator = await login_as(Role.OPERATOR)
    call_id = await answered_emergency(client, operator)
    for purpose in ("pizza", "operator_call"):
        response = await client.post(f"/api/v1/calls/{call_id}/parties", headers=operator,
                                     json={"to": "+8613900000001", "purpose": purpose})
        assert response.status_code == 422
        assert purpose in response.json()["detail"]
    response = await client.post("/api/v1/calls/outbound", headers=operator,
                                 json={"to": "+8613900000001", "purpose": "contact"})
    assert response.status_code == 422
    assert len((await client.get("/api/v1/calls", headers=operator)).json()) == 1


async def test_operator_call_connects_straight_to_the_operator(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int) -> None:
    """An operator's own call rings the number and, answered, is on with that operator in
    its own conference, never offered in the queue."""
    operator = await login_as(Role.OPERATOR)
    await runtime.bus.settled()
    async with runtime.bus.subscribe() as subscription:
        response = await client.post("/api/v1/calls/outbound", headers=operator,
                                     json={"to": "139 0000 0002"})
        seen = [await subscription.next() for _ in range(2)]
    assert response.status_code == 201, response.text
    call = response.json()
    assert (call["purpose"], call["operator"], call["conference"], call["parent_call_id"]) == \
        ("operator_call", "test_operator", f"anxin-call-{call['id']}", None)
    assert ringing(seen)[0]["purpose"] == "operator_call"
    answered = await phone_event(client, operator, call["id"], "answered")
    assert answered["actions"] == [{"type": "conference", "name": call["conference"]}]
    assert answered["call"]["operator"] == "test_operator"
    assert answered["call"]["answered_at"] is not None
    assert (await client.get("/api/v1/calls/queue", headers=operator)).json() == []
    ended = await phone_event(client, operator, call["id"], "completed")
    assert ended["call"]["outcome"] == "answered"


async def test_an_unanswered_party_is_recorded_as_no_answer(
    client: httpx.AsyncClient, login_as: LoginAs, senior_id: int) -> None:
    """A contact who lets it ring out leaves a no-answer leg; the live call goes on."""
    operator = await login_as(Role.OPERATOR)
    call_id = await answered_emergency(client, operator)
    leg = (await client.post(f"/api/v1/calls/{call_id}/parties", headers=operator,
                             json={"to": SON_PHONE, "purpose": "contact"})).json()
    rang_out = await phone_event(client, operator, leg["id"], "no_answer")
    assert rang_out["call"]["outcome"] == "no_answer"
    live = (await client.get(f"/api/v1/calls/{call_id}", headers=operator)).json()
    assert live["status"] == "in_progress" and live["ended_at"] is None


async def test_supervisor_watches_a_live_call_on_the_simulator(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime
) -> None:
    """On the simulator monitoring is a live read-only view: nobody is dialled, it is audited,
    and only supervisors may do it."""
    operator = await login_as(Role.OPERATOR)
    supervisor = await login_as(Role.SUPERVISOR)
    call_id = await answered_emergency(client, operator)
    refused = await client.post(f"/api/v1/calls/{call_id}/monitor", headers=operator)
    assert refused.status_code == 403
    watched = await client.post(f"/api/v1/calls/{call_id}/monitor", headers=supervisor)
    assert watched.status_code == 200, watched.text
    assert watched.json()["mode"] == "watching" and watched.json()["leg"] is None
    assert watched.json()["call"]["operator"] == "test_operator"
    assert len((await client.get("/api/v1/calls", headers=supervisor)).json()) == 1
    async with runtime.sessions() as session:
        audited = (await session.execute(select(AuditEntry.actor).where(
            AuditEntry.action == "call.monitor"))).scalars().all()
    assert audited == ["test_supervisor"]


async def test_monitoring_an_ended_call_or_on_a_network_without_it_is_refused(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime
) -> None:
    """A network that cannot add a listening leg answers 409 naming it; so does an ended call."""
    operator = await login_as(Role.OPERATOR)
    supervisor = await login_as(Role.SUPERVISOR)
    call_id = await answered_emergency(client, operator)
    callcenter_of(runtime).provider = SimulatedNetwork(bus=runtime.bus, name="pbx")
    refused = await client.post(f"/api/v1/calls/{call_id}/monitor", headers=supervisor)
    assert refused.status_code == 409
    assert "pbx phone network cannot add a listening leg" in refused.json()["detail"]
    await client.post(f"/api/v1/calls/{call_id}/hangup", headers=operator)
    ended = await client.post(f"/api/v1/calls/{call_id}/monitor", headers=supervisor)
    assert ended.status_code == 409 and "not live" in ended.json()["detail"]
