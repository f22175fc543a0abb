"""Operators dial only seniors, their contacts, public services and staff (issue 14, item 14)."""

from __future__ import annotations

import httpx
import pytest

from accounts.roles import Role
from tests.callcenter.conftest import DAUGHTER_PHONE, SENIOR_PHONE
from tests.callcenter.test_conferencing import answered_emergency
from tests.callcenter.test_twilio import give_phone
from tests.conftest import LoginAs


@pytest.mark.parametrize("to", ["+8613700000077", "sip:anyone@198.51.100.7", "12345"])
async def test_free_numbers_are_refused_for_own_calls(
        client: httpx.AsyncClient, login_as: LoginAs, senior_id: int, to: str) -> None:
    """An own call to a number nobody registered is a 422 that names it; nothing is dialled."""
    operator = await login_as(Role.OPERATOR)
    response = await client.post("/api/v1/calls/outbound", headers=operator, json={"to": to})
    assert response.status_code == 422
    assert to in response.json()["detail"] and "120" in response.json()["detail"]
    assert (await client.get("/api/v1/calls", headers=operator)).json() == []


async def test_free_numbers_are_refused_as_parties(
        client: httpx.AsyncClient, login_as: LoginAs, senior_id: int) -> None:
    """Adding an unknown number to a live call is refused; no leg is stored."""
    operator = await login_as(Role.OPERATOR)
    call_id = await answered_emergency(client, operator)
    response = await client.post(f"/api/v1/calls/{call_id}/parties", headers=operator,
                                 json={"to": "+8613700000099", "purpose": "contact"})
    assert response.status_code == 422 and "+8613700000099" in response.json()["detail"]
    assert len((await client.get("/api/v1/calls", headers=operator)).json()) == 1


async def test_seniors_contacts_services_and_staff_may_be_dialled(
        client: httpx.AsyncClient, login_as: LoginAs, senior_id: int) -> None:
    """A senior's and a contact's number, 110 and a staff endpoint are all dialled."""
    supervisor = await login_as(Role.SUPERVISOR)
    operator = await login_as(Role.OPERATOR)
    assert (await give_phone(client, supervisor, "test_operator", "sip:desk7@pbx.local")
            ).status_code == 200
    for to in (SENIOR_PHONE, "139 0000 0002"):
        placed = await client.post("/api/v1/calls/outbound", headers=operator, json={"to": to})
        assert placed.status_code == 201, placed.text
    assert placed.json()["to"] == DAUGHTER_PHONE
    call_id = await answered_emergency(client, operator)
    for to, purpose in (("110", "emergency_120"), ("sip:desk7@pbx.local", "contact")):
        added = await client.post(f"/api/v1/calls/{call_id}/parties", headers=operator,
                                  json={"to": to, "purpose": purpose})
        assert added.status_code == 201, added.text
