"""Incidents through HTTP: opened by acknowledging, linked, noted, ordered, resolved, guarded."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from accounts.models import AuditEntry
from accounts.roles import Role
from callcenter.routing.lifespan import desk_of
from callcenter.routing.rules import TaskKind
from incidents import service as incidents_service
from incidents.exceptions import IncidentConflictError
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.callcenter.conftest import SENIOR_PHONE, dial
from tests.incidents.conftest import LoginNamed, raise_alarm


async def incident_of_alarm(client: httpx.AsyncClient, headers: dict[str, str],
                            alarm_id: int) -> dict[str, Any]:
    found = (await client.get("/api/v1/incidents", params={"alarm_id": alarm_id},
                              headers=headers)).json()
    assert len(found) == 1, found
    detail = (await client.get(f"/api/v1/incidents/{found[0]['id']}", headers=headers)).json()
    assert isinstance(detail, dict)
    return detail


async def test_acknowledging_opens_one_incident_and_later_alarms_join_it(
        client: httpx.AsyncClient, login_named: LoginNamed, runtime: Runtime,
        clock: ManualClock, senior_id: int) -> None:
    """The first acknowledgement opens the senior's incident; a second alarm joins it, and
    the system's call-back for the SOS shows on the same timeline."""
    anna = await login_named("anna", Role.OPERATOR)
    bo = await login_named("bo", Role.OPERATOR)
    sos = await raise_alarm(runtime, senior_id, "sos")
    clock.advance(12)
    assert (await client.post(f"/api/v1/alarms/{sos}/ack", headers=anna)).status_code == 200
    clock.advance(30)
    fall = await raise_alarm(runtime, senior_id, "fall")
    clock.advance(5)
    assert (await client.post(f"/api/v1/alarms/{fall}/ack", headers=bo)).status_code == 200

    incident = await incident_of_alarm(client, anna, sos)
    assert incident["owner"] == "anna" and incident["state"] == "open"
    assert incident["opened_via"] == "alarm" and incident["senior_name"] == "王秀英"
    assert [a["id"] for a in incident["alarms"]] == [sos, fall]
    assert (await incident_of_alarm(client, bo, fall))["id"] == incident["id"]
    steps = [(item["what"], item["ref_id"]) for item in incident["timeline"]
             if item["source"] not in ("call", "message")]
    assert steps == [("alarm.raised", sos), ("opened", incident["id"]),
                     ("alarm.acknowledged", sos), ("alarm.raised", fall),
                     ("alarm.acknowledged", fall)]
    times = [item["at"] for item in incident["timeline"]]
    assert times == sorted(times)
    # The data SOS's automatic call-back to the senior belongs to the same story.
    assert [(c["purpose"], c["to"]) for c in incident["calls"]][:1] == [
        ("alarm_callback", SENIOR_PHONE)]


async def test_note_contact_order_and_resolve_close_the_case(
        client: httpx.AsyncClient, login_named: LoginNamed, runtime: Runtime,
        clock: ManualClock, senior_id: int) -> None:
    """Notes, a contact reached and a dispatch order land on the timeline; resolving closes
    the incident and resolves its alarm with the same disposition."""
    anna = await login_named("anna", Role.OPERATOR)
    sos = await raise_alarm(runtime, senior_id)
    await client.post(f"/api/v1/alarms/{sos}/ack", headers=anna)
    incident_id = (await incident_of_alarm(client, anna, sos))["id"]
    clock.advance(60)
    noted = await client.post(f"/api/v1/incidents/{incident_id}/notes",
                              json={"text": "老人说摔倒了，起不来"}, headers=anna)
    assert noted.status_code == 201, noted.text
    clock.advance(60)
    contact = await client.post(f"/api/v1/incidents/{incident_id}/contacts",
                                json={"position": 0, "outcome": "reached",
                                      "text": "儿子20分钟后到"}, headers=anna)
    assert contact.status_code == 201, contact.text
    clock.advance(60)
    order = await client.post(f"/api/v1/incidents/{incident_id}/orders",
                              json={"service": "medical_visit", "notes": "上门查看"},
                              headers=anna)
    assert order.status_code == 201, order.text
    assert order.json()["source"] == "operator" and order.json()["senior_id"] == senior_id
    clock.advance(600)
    resolved = await client.post(f"/api/v1/incidents/{incident_id}/resolve",
                                 json={"disposition": "genuine_handled",
                                       "summary": "跌倒，儿子到场，医生上门"}, headers=anna)
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["state"] == "closed" and body["disposition"] == "genuine_handled"
    assert body["alarms"][0]["state"] == "resolved"
    assert body["alarms"][0]["disposition"] == "genuine_handled"
    assert [o["id"] for o in body["orders"]] == [order.json()["id"]]
    # (The SOS's automatic cascade may also have rung the son meanwhile: a "call" row.)
    assert [(c["name"], c["outcome"]) for c in body["contacts_reached"]
            if c["via"] == "recorded"] == [("李强", "reached")]
    whats = [item["what"] for item in body["timeline"]]
    assert whats.index("note") < whats.index("contact") < whats.index("order.created") \
        < whats.index("closed")
    alarm = (await client.get(f"/api/v1/alarms/{sos}", headers=anna)).json()
    assert alarm["state"] == "resolved" and alarm["resolved_by"] == "anna"
    late = await client.post(f"/api/v1/incidents/{incident_id}/notes", json={"text": "x"},
                             headers=anna)
    assert late.status_code == 409 and "closed" in late.json()["detail"]


async def test_only_the_owner_or_a_supervisor_acts(
        client: httpx.AsyncClient, login_named: LoginNamed, runtime: Runtime,
        senior_id: int) -> None:
    """Another operator may read but not act (403 naming the owner); a supervisor may act."""
    anna = await login_named("anna", Role.OPERATOR)
    bo = await login_named("bo", Role.OPERATOR)
    chief = await login_named("chief", Role.SUPERVISOR)
    dispatcher = await login_named("dee", Role.DISPATCHER)
    sos = await raise_alarm(runtime, senior_id)
    await client.post(f"/api/v1/alarms/{sos}/ack", headers=anna)
    incident_id = (await incident_of_alarm(client, anna, sos))["id"]
    assert (await client.get(f"/api/v1/incidents/{incident_id}", headers=bo)).status_code == 200
    refused = await client.post(f"/api/v1/incidents/{incident_id}/notes", json={"text": "hi"},
                                headers=bo)
    assert refused.status_code == 403 and "anna" in refused.json()["detail"]
    assert (await client.get(f"/api/v1/incidents/{incident_id}",
                             headers=dispatcher)).status_code == 403
    handed = await client.put(f"/api/v1/incidents/{incident_id}/owner", json={"owner": "bo"},
                              headers=chief)
    assert handed.status_code == 200 and handed.json()["owner"] == "bo"
    assert (await client.put(f"/api/v1/incidents/{incident_id}/owner", json={"owner": "bo"},
                             headers=anna)).status_code == 403
    assert (await client.post(f"/api/v1/incidents/{incident_id}/notes", json={"text": "mine"},
                              headers=bo)).status_code == 201


async def test_open_by_hand_once_per_senior(client: httpx.AsyncClient, login_named: LoginNamed,
                                            senior_id: int) -> None:
    """A hand-opened incident is the senior's one open incident; a second one is refused."""
    anna = await login_named("anna", Role.OPERATOR)
    opened = await client.post("/api/v1/incidents", json={"senior_id": senior_id,
                                                          "note": "家属来电反映"}, headers=anna)
    assert opened.status_code == 201, opened.text
    assert opened.json()["opened_via"] == "manual"
    again = await client.post("/api/v1/incidents", json={"senior_id": senior_id}, headers=anna)
    assert again.status_code == 409
    assert f"open incident {opened.json()['id']}" in again.json()["detail"]
    missing = await client.post("/api/v1/incidents", json={"senior_id": 999}, headers=anna)
    assert missing.status_code == 404 and "999" in missing.json()["detail"]


async def test_bad_input_is_refused_and_changes_nothing(
        client: httpx.AsyncClient, login_named: LoginNamed, runtime: Runtime,
        senior_id: int) -> None:
    """An unknown disposition, an empty summary or a contact that does not exist: 4xx, and the
    incident stays open with its alarm."""
    anna = await login_named("anna", Role.OPERATOR)
    sos = await raise_alarm(runtime, senior_id)
    await client.post(f"/api/v1/alarms/{sos}/ack", headers=anna)
    incident_id = (await incident_of_alarm(client, anna, sos))["id"]
    bad = await client.post(f"/api/v1/incidents/{incident_id}/resolve",
                            json={"disposition": "sorted", "summary": "x"}, headers=anna)
    assert bad.status_code == 422 and "disposition" in bad.json()["detail"]
    empty = await client.post(f"/api/v1/incidents/{incident_id}/resolve",
                              json={"disposition": "test", "summary": ""}, headers=anna)
    assert empty.status_code == 422 and "summary" in empty.json()["detail"]
    nobody = await client.post(f"/api/v1/incidents/{incident_id}/contacts",
                               json={"position": 7, "outcome": "reached"}, headers=anna)
    assert nobody.status_code == 422 and "position 7" in nobody.json()["detail"]
    still = (await client.get(f"/api/v1/incidents/{incident_id}", headers=anna)).json()
    assert still["state"] == "open" and still["alarms"][0]["state"] == "acknowledged"
    assert still["contacts_reached"] == []


async def test_answering_a_known_seniors_call_opens_an_incident_and_blocks_closing_while_live(
        client: httpx.AsyncClient, login_named: LoginNamed, senior_id: int) -> None:
    """A call from a registered senior, once answered, is the case's first link; the incident
    will not close until the call has ended."""
    anna = await login_named("anna", Role.OPERATOR)
    call = await dial(client, anna, SENIOR_PHONE)
    call_id = call["call"]["id"]
    await client.post(f"/telephony/simulator/calls/{call_id}/input", json={"digits": "1"},
                      headers=anna)
    assert (await client.post(f"/api/v1/calls/{call_id}/answer", headers=anna)).status_code \
        == 200
    found = (await client.get("/api/v1/incidents", params={"senior_id": senior_id,
                                                           "state": "open"},
                              headers=anna)).json()
    assert [(i["owner"], i["opened_via"]) for i in found] == [("anna", "call")]
    incident = (await client.get(f"/api/v1/incidents/{found[0]['id']}", headers=anna)).json()
    assert [c["id"] for c in incident["calls"]] == [call_id]
    assert "call.answered" in [item["what"] for item in incident["timeline"]]
    refused = await client.post(f"/api/v1/incidents/{incident['id']}/resolve",
                                json={"disposition": "no_action", "summary": "咨询"},
                                headers=anna)
    assert refused.status_code == 409 and "hang up" in refused.json()["detail"]
    await client.post(f"/api/v1/calls/{call_id}/hangup", headers=anna)
    closed = await client.post(f"/api/v1/incidents/{incident['id']}/resolve",
                               json={"disposition": "no_action", "summary": "咨询"},
                               headers=anna)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


async def test_every_read_and_change_is_audited_on_the_senior(
        client: httpx.AsyncClient, login_named: LoginNamed, runtime: Runtime,
        senior_id: int) -> None:
    """Reading the incident, the senior's record and adding a note each leave an audit entry."""
    anna = await login_named("anna", Role.OPERATOR)
    sos = await raise_alarm(runtime, senior_id)
    await client.post(f"/api/v1/alarms/{sos}/ack", headers=anna)
    incident_id = (await incident_of_alarm(client, anna, sos))["id"]
    await client.post(f"/api/v1/incidents/{incident_id}/notes", json={"text": "n"}, headers=anna)
    record = await client.get(f"/api/v1/incidents/seniors/{senior_id}/record", headers=anna)
    assert record.status_code == 200
    assert record.json()["open_incident_id"] == incident_id
    assert record.json()["senior"]["medical_notes"] == "高血压"
    assert [a["id"] for a in record.json()["recent_alarms"]] == [sos]
    async with runtime.sessions() as session:
        actions = list((await session.scalars(select(AuditEntry.action).where(
            AuditEntry.actor == "anna", AuditEntry.subject_id == str(senior_id)))).all())
    assert {"incident.list", "incident.read", "incident.note", "senior.record"} <= set(actions)


async def test_two_operators_acknowledging_at_once_share_one_incident(
        client: httpx.AsyncClient, login_named: LoginNamed, runtime: Runtime,
        senior_id: int) -> None:
    """Two alarms of one senior acknowledged at the same moment by two operators: one open
    incident holds both (the unique open key settles the race)."""
    anna = await login_named("anna", Role.OPERATOR)
    bo = await login_named("bo", Role.OPERATOR)
    sos = await raise_alarm(runtime, senior_id, "sos")
    smoke = await raise_alarm(runtime, senior_id, "smoke")
    answers = await asyncio.gather(client.post(f"/api/v1/alarms/{sos}/ack", headers=anna),
                                   client.post(f"/api/v1/alarms/{smoke}/ack", headers=bo))
    assert [a.status_code for a in answers] == [200, 200]
    found = (await client.get("/api/v1/incidents", params={"senior_id": senior_id},
                              headers=anna)).json()
    assert len(found) == 1 and found[0]["owner"] in ("anna", "bo")
    detail = (await client.get(f"/api/v1/incidents/{found[0]['id']}", headers=anna)).json()
    assert sorted(a["id"] for a in detail["alarms"]) == sorted([sos, smoke])


async def test_taking_an_alarm_task_on_the_desk_opens_the_incident(
        client: httpx.AsyncClient, login_named: LoginNamed, runtime: Runtime,
        senior_id: int) -> None:
    """Accepting an alarm's routing task acknowledges it, which opens the senior's incident."""
    anna = await login_named("anna", Role.OPERATOR)
    await client.post("/api/v1/routing/me/state", json={"state": "available"}, headers=anna)
    alarm_id = await raise_alarm(runtime, senior_id, "low_battery")
    desk = desk_of(runtime)
    ref = f"alarm:{alarm_id}"
    # The desk's own sweep may have queued the alarm already; either way one task holds it.
    task = await desk.add_task(kind=TaskKind.ALARM, priority=4, ref=ref) or next(
        t for t in desk.router.tasks.values() if t.ref == ref)
    taken = await client.post(f"/api/v1/routing/tasks/{task.id}/accept", headers=anna)
    assert taken.status_code == 200, taken.text
    incident = await incident_of_alarm(client, anna, alarm_id)
    assert (incident["owner"], incident["opened_via"]) == ("anna", "alarm")


async def test_a_hand_over_decided_on_a_stale_view_is_refused(
        client: httpx.AsyncClient, login_named: LoginNamed, runtime: Runtime,
        senior_id: int) -> None:
    """Two supervisors hand the same incident over at once: the one who read it before the
    other's hand-over landed is told who has it now, and the owner is not overwritten."""
    anna = await login_named("anna", Role.OPERATOR)
    await login_named("bo", Role.OPERATOR)
    await login_named("cy", Role.OPERATOR)
    sos = await raise_alarm(runtime, senior_id)
    await client.post(f"/api/v1/alarms/{sos}/ack", headers=anna)
    incident_id = (await incident_of_alarm(client, anna, sos))["id"]
    async with runtime.sessions() as late:
        stale = await incidents_service.get_incident(late, incident_id)  # owner: anna
        await late.commit()
        async with runtime.sessions() as first:
            fresh = await incidents_service.get_incident(first, incident_id)
            await incidents_service.set_owner(first, fresh, owner="bo", actor="chief",
                                              now=runtime.clock.now())
            await first.commit()
        with pytest.raises(IncidentConflictError, match="just handed to bo"):
            await incidents_service.set_owner(late, stale, owner="cy", actor="chief2",
                                              now=runtime.clock.now())
    detail = (await client.get(f"/api/v1/incidents/{incident_id}", headers=anna)).json()
    assert detail["owner"] == "bo"
    assert len([e for e in detail["timeline"] if e["what"] == "owner"]) == 1


async def test_two_closing_the_same_incident_at_once_close_it_once(
        client: httpx.AsyncClient, login_named: LoginNamed, runtime: Runtime,
        senior_id: int) -> None:
    """The owner and a supervisor resolve the incident at the same moment: one closes it, the
    other gets 409 saying it is already closed."""
    anna = await login_named("anna", Role.OPERATOR)
    chief = await login_named("chief", Role.SUPERVISOR)
    sos = await raise_alarm(runtime, senior_id)
    await client.post(f"/api/v1/alarms/{sos}/ack", headers=anna)
    incident_id = (await incident_of_alarm(client, anna, sos))["id"]
    body = {"disposition": "false_alarm", "summary": "按错了"}
    answers = await asyncio.gather(*(
        client.post(f"/api/v1/incidents/{incident_id}/resolve", json=body, headers=headers)
        for headers in (anna, chief)))
    assert sorted(a.status_code for a in answers) == [200, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert "closed" in refused.json()["detail"]
