"""Calls from an incident on the simulated network, through the real app: the senior, a
contact, and a contact and 120 conferenced into the live call."""

from __future__ import annotations

import httpx

from accounts.roles import Role
from runtime.context import Runtime
from tests.callcenter.conftest import DAUGHTER_PHONE, SENIOR_PHONE, SON_PHONE, phone_event
from tests.incidents.conftest import LoginNamed, raise_alarm


async def open_incident(client: httpx.AsyncClient, headers: dict[str, str],
                        senior_id: int) -> int:
    opened = await client.post("/api/v1/incidents", json={"senior_id": senior_id},
                               headers=headers)
    assert opened.status_code == 201, opened.text
    incident_id: int = opened.json()["id"]
    return incident_id


async def test_call_the_senior_then_conference_a_contact_and_120(
        client: httpx.AsyncClient, login_named: LoginNamed, senior_id: int) -> None:
    """The operator rings the senior, who answers; the daughter and 120 are dialled into that
    call's conference; every leg is on the incident, the daughter among contacts reached."""
    anna = await login_named("anna", Role.OPERATOR)
    incident_id = await open_incident(client, anna, senior_id)
    none_live = await client.post(f"/api/v1/incidents/{incident_id}/conference",
                                  json={"party": "emergency_services"}, headers=anna)
    assert none_live.status_code == 409 and "no connected call" in none_live.json()["detail"]
    placed = await client.post(f"/api/v1/incidents/{incident_id}/calls/senior", headers=anna)
    assert placed.status_code == 201, placed.text
    senior_leg = placed.json()
    assert (senior_leg["to"], senior_leg["operator"]) == (SENIOR_PHONE, "anna")
    answered = await phone_event(client, anna, senior_leg["id"], "answered")
    assert answered["call"]["status"] == "in_progress"
    daughter = await client.post(f"/api/v1/incidents/{incident_id}/conference",
                                 json={"party": "contact", "position": 1}, headers=anna)
    assert daughter.status_code == 201, daughter.text
    assert (daughter.json()["to"], daughter.json()["parent_call_id"]) == \
        (DAUGHTER_PHONE, senior_leg["id"])
    await phone_event(client, anna, daughter.json()["id"], "answered")
    ambulance = await client.post(f"/api/v1/incidents/{incident_id}/conference",
                                  json={"party": "emergency_services"}, headers=anna)
    assert ambulance.status_code == 201, ambulance.text
    assert (ambulance.json()["to"], ambulance.json()["purpose"]) == ("120", "emergency_120")
    incident = (await client.get(f"/api/v1/incidents/{incident_id}", headers=anna)).json()
    assert [c["id"] for c in incident["calls"]] == [
        senior_leg["id"], daughter.json()["id"], ambulance.json()["id"]]
    assert [(c["name"], c["outcome"], c["via"]) for c in incident["contacts_reached"]] == [
        ("李梅", "reached", "call")]
    whats = [item["what"] for item in incident["timeline"] if item["source"] == "call"]
    assert whats[:3] == ["call.started", "call.answered", "call.started"]


async def test_call_a_contact_and_who_may(client: httpx.AsyncClient, login_named: LoginNamed,
                                          runtime: Runtime, senior_id: int) -> None:
    """The owner rings the son; a colleague may not ring from someone else's incident; a
    contact that does not exist is named in a 422."""
    anna = await login_named("anna", Role.OPERATOR)
    bo = await login_named("bo", Role.OPERATOR)
    sos = await raise_alarm(runtime, senior_id, "fall")
    await client.post(f"/api/v1/alarms/{sos}/ack", headers=anna)
    found = (await client.get("/api/v1/incidents", params={"alarm_id": sos},
                              headers=anna)).json()
    incident_id = found[0]["id"]
    son = await client.post(f"/api/v1/incidents/{incident_id}/calls/contact",
                            json={"position": 0}, headers=anna)
    assert son.status_code == 201, son.text
    assert (son.json()["to"], son.json()["purpose"]) == (SON_PHONE, "operator_call")
    await phone_event(client, anna, son.json()["id"], "busy")
    refused = await client.post(f"/api/v1/incidents/{incident_id}/calls/contact",
                                json={"position": 1}, headers=bo)
    assert refused.status_code == 403 and "anna" in refused.json()["detail"]
    missing = await client.post(f"/api/v1/incidents/{incident_id}/calls/contact",
                                json={"position": 5}, headers=anna)
    assert missing.status_code == 422 and "position 5" in missing.json()["detail"]
    incident = (await client.get(f"/api/v1/incidents/{incident_id}", headers=anna)).json()
    son_rows = [c for c in incident["contacts_reached"] if c["call_id"] == son.json()["id"]]
    assert [(c["name"], c["outcome"]) for c in son_rows] == [("李强", "busy")]
