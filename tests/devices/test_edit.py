"""Editing a device over HTTP: reassign, labels, heartbeat, retire/reactivate, SIM number,
new credentials; refusals name the problem and change nothing."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from accounts.models import AuditEntry
from accounts.roles import Role
from devices import credentials
from devices.models import Device
from runtime.context import Runtime
from tests.conftest import LoginAs


def senior_body(name: str, resident_id: str, phone: str) -> dict[str, Any]:
    return {"name": name, "resident_id": resident_id, "sex": "female", "address": "新华大街12号",
            "district": "新城区", "phones": [phone],
            "contacts": [{"name": "李强", "relation": "儿子", "phones": ["13900000001"]}]}


async def make_seniors(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[int, int]:
    first = await client.post("/api/v1/seniors", headers=headers, json=senior_body(
        "王秀英", "150102194503020011", "13804710001"))
    second = await client.post("/api/v1/seniors", headers=headers, json=senior_body(
        "张桂兰", "150102194806120028", "13804710002"))
    assert first.status_code == 201 and second.status_code == 201, (first.text, second.text)
    return first.json()["id"], second.json()["id"]


async def stored(runtime: Runtime, device_id: str) -> Device:
    async with runtime.sessions() as session:
        device = await session.get(Device, device_id)
        assert device is not None
        return device


async def test_supervisor_edits_a_device_and_each_change_is_audited(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """Reassigning, relabelling, a new heartbeat and a SIM number show in the answer and the
    list; the audit names both seniors."""
    headers = await login_as(Role.SUPERVISOR)
    first, second = await make_seniors(client, headers)
    await client.post("/api/v1/devices", headers=headers,
                      json={"model": "anxin-home-hub", "id": "unit-1", "senior_id": first})
    answer = await client.patch("/api/v1/devices/unit-1", headers=headers, json={
        "senior_id": second, "location": "客厅", "heartbeat_seconds": 120,
        "grace_seconds": 60, "phone": "138 0471 9999"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["senior_id"], body["location"], body["heartbeat_seconds"],
            body["grace_seconds"], body["phone"]) == (second, "客厅", 120, 60, "+8613804719999")
    listed = (await client.get(f"/api/v1/devices?senior_id={second}", headers=headers)).json()
    assert [d["id"] for d in listed] == ["unit-1"]
    async with runtime.sessions() as session:
        audited = (await session.execute(select(AuditEntry.subject_id).where(
            AuditEntry.action == "device.update"))).scalars().all()
    assert set(audited) == {str(first), str(second)}


async def test_retire_and_reactivate_through_patch(client: httpx.AsyncClient,
                                                   login_as: LoginAs) -> None:
    """state retired, then active again; the senior can be cleared with null."""
    headers = await login_as(Role.ADMIN)
    await client.post("/api/v1/devices", headers=headers, json={"model": "door-sensor",
                                                                "id": "door-9"})
    retired = await client.patch("/api/v1/devices/door-9", headers=headers,
                                 json={"state": "retired"})
    assert retired.json()["state"] == "retired"
    back = await client.patch("/api/v1/devices/door-9", headers=headers,
                              json={"state": "active", "senior_id": None})
    assert back.status_code == 200 and back.json()["state"] == "active"
    assert back.json()["senior_id"] is None


async def test_bad_edits_are_refused_by_name_and_change_nothing(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """Unknown senior, bad or taken phone, null location, unknown field, empty body, unknown
    device: each a 4xx naming the problem, and the device is as before."""
    headers = await login_as(Role.SUPERVISOR)
    for device_id in ("unit-a", "unit-b"):
        await client.post("/api/v1/devices", headers=headers,
                          json={"model": "anxin-home-hub", "id": device_id, "location": "卧室"})
    taken = await client.patch("/api/v1/devices/unit-a", headers=headers,
                               json={"phone": "13804718888"})
    assert taken.status_code == 200
    before = await stored(runtime, "unit-b")
    cases = [
        ({"senior_id": 424242, "location": "厨房"}, 404, "424242"),
        ({"phone": "12345", "location": "厨房"}, 422, "not a phone number"),
        ({"phone": "+86 138 0471 8888", "location": "厨房"}, 409, "unit-a"),
        ({"location": None}, 422, "location cannot be null"),
        ({"heartbeat_seconds": 1}, 422, "heartbeat_seconds"),
        ({"colour": "red"}, 422, "colour"),
        ({}, 422, "nothing to change"),
        ({"state": "lost"}, 422, "state"),
    ]
    for body, code, words in cases:
        answer = await client.patch("/api/v1/devices/unit-b", headers=headers, json=body)
        assert answer.status_code == code, (body, answer.text)
        assert words in answer.text, (body, answer.text)
    after = await stored(runtime, "unit-b")
    assert (after.location, after.phone, after.senior_id, after.heartbeat_seconds) == (
        before.location, before.phone, before.senior_id, before.heartbeat_seconds)
    missing = await client.patch("/api/v1/devices/ghost-1", headers=headers,
                                 json={"location": "x"})
    assert missing.status_code == 404 and "ghost-1" in missing.text


async def test_operator_may_not_edit_or_rotate(client: httpx.AsyncClient,
                                               login_as: LoginAs) -> None:
    """Only supervisors and admins change devices; an operator gets 403."""
    admin = await login_as(Role.ADMIN)
    await client.post("/api/v1/devices", headers=admin, json={"model": "bed-sensor",
                                                              "id": "bed-2"})
    operator = await login_as(Role.OPERATOR)
    edit = await client.patch("/api/v1/devices/bed-2", headers=operator, json={"location": "x"})
    rotate = await client.post("/api/v1/devices/bed-2/credentials", headers=operator)
    assert (edit.status_code, rotate.status_code) == (403, 403)


async def test_new_credentials_replace_the_old_password(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """The new password is returned once and works; the old one no longer does; a retired
    device gets none."""
    headers = await login_as(Role.SUPERVISOR)
    provisioned = await client.post("/api/v1/devices", headers=headers,
                                    json={"model": "anxin-watch", "id": "watch-r"})
    old = provisioned.json()["mqtt_password"]
    rotated = await client.post("/api/v1/devices/watch-r/credentials", headers=headers)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["mqtt_password"]
    assert rotated.json()["mqtt_username"] == "watch-r" and new != old
    device = await stored(runtime, "watch-r")
    assert credentials.verify_password(device.mqtt_password_hash, new)
    assert not credentials.verify_password(device.mqtt_password_hash, old)
    await client.post("/api/v1/devices/watch-r/retire", headers=headers)
    refused = await client.post("/api/v1/devices/watch-r/credentials", headers=headers)
    assert refused.status_code == 409 and "reactivate" in refused.text
