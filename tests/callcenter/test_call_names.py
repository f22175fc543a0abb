"""The call API names the people on a call by display name: who answered (in the call's path
too), on the call, the call lists, the incident and the senior's record."""

from __future__ import annotations

import httpx

from accounts.roles import Role
from tests.callcenter.conftest import SENIOR_PHONE, dial
from tests.conftest import LoginAs

ANSWERED = {"code": "answered", "person": "Test operator"}


async def test_who_answered_is_named_on_the_call_its_path_and_its_incident(
    client: httpx.AsyncClient, login_as: LoginAs, senior_id: int
) -> None:
    """A registered senior's call answered by an operator: the call, the recent calls, the
    senior's open incident and the senior's record give the operator's display name, and the
    path's answered step carries the name, not the account."""
    operator = await login_as(Role.OPERATOR)
    call = await dial(client, operator, SENIOR_PHONE)
    call_id = call["call"]["id"]
    answered = await client.post(f"/api/v1/calls/{call_id}/answer", headers=operator)
    assert answered.status_code == 200, answered.text
    assert answered.json()["ivr_steps"] == [{"code": "fast-path:known", "person": None},
                                            ANSWERED]
    shown = (await client.get(f"/api/v1/calls/{call_id}", headers=operator)).json()
    assert shown["operator_name"] == "Test operator"
    assert shown["ivr_path"][-1] == "answered:test_operator"  # the stored step is unchanged
    recent = (await client.get("/api/v1/calls", headers=operator)).json()
    assert next(c for c in recent if c["id"] == call_id)["ivr_steps"][-1] == ANSWERED
    record = (await client.get(f"/api/v1/incidents/seniors/{senior_id}/record",
                               headers=operator)).json()
    assert record["recent_calls"][0]["ivr_steps"][-1] == ANSWERED
    incident = (await client.get(f"/api/v1/incidents/{record['open_incident_id']}",
                                 headers=operator)).json()
    assert next(c for c in incident["calls"] if c["id"] == call_id)["ivr_steps"][-1] == ANSWERED


async def test_a_waiting_call_lists_its_menu_steps_without_people(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    """A stranger's call waiting in the queue shows its menu steps, each with no person."""
    operator = await login_as(Role.OPERATOR)
    call = await dial(client, operator, "+8613700000077")
    pressed = await client.post(f"/telephony/simulator/calls/{call['call']['id']}/input",
                                json={"digits": "2"}, headers=operator)
    assert pressed.status_code == 200, pressed.text
    queue = (await client.get("/api/v1/calls/queue", headers=operator)).json()
    assert queue[0]["ivr_steps"] == [{"code": "menu", "person": None},
                                     {"code": "key:2", "person": None}]
