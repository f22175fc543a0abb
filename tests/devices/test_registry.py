"""The device registry over HTTP: provisioning, credentials shown once, online/offline."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from accounts.roles import Role
from devices import credentials
from devices.models import Device
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs


async def test_provisioning_returns_the_password_once_and_stores_only_a_hash(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """The password appears in the provisioning answer only; the registry keeps a hash of it."""
    headers = await login_as(Role.SUPERVISOR)
    answer = await client.post("/api/v1/devices", headers=headers,
                               json={"model": "anxin-watch", "location": "wrist"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    password = body["mqtt_password"]
    assert body["mqtt_username"] == body["device"]["id"]
    assert body["topics"]["event"] == f"anxin/v1/devices/{body['device']['id']}/event"
    listing = await client.get("/api/v1/devices", headers=headers)
    assert password not in listing.text
    async with runtime.sessions() as session:
        device = (await session.execute(select(Device))).scalar_one()
    assert password not in device.mqtt_password_hash
    assert credentials.verify_password(device.mqtt_password_hash, password)


async def test_operators_read_but_may_not_provision(client: httpx.AsyncClient,
                                                    login_as: LoginAs) -> None:
    """An operator sees the device list and gets 403 when provisioning."""
    headers = await login_as(Role.OPERATOR)
    refused = await client.post("/api/v1/devices", headers=headers, json={"model": "door-sensor"})
    assert refused.status_code == 403
    assert (await client.get("/api/v1/devices", headers=headers)).status_code == 200


async def test_unknown_model_and_duplicate_id_are_refused(client: httpx.AsyncClient,
                                                          login_as: LoginAs) -> None:
    """A model outside the catalogue is 422 naming it; an id already taken is 409."""
    headers = await login_as(Role.ADMIN)
    unknown = await client.post("/api/v1/devices", headers=headers, json={"model": "toaster"})
    assert unknown.status_code == 422 and "toaster" in unknown.json()["detail"]
    body = {"model": "door-sensor", "id": "door-101"}
    assert (await client.post("/api/v1/devices", headers=headers, json=body)).status_code == 201
    again = await client.post("/api/v1/devices", headers=headers, json=body)
    assert again.status_code == 409


async def test_device_goes_offline_after_heartbeat_and_grace(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        clock: ManualClock) -> None:
    """A watch seen now is online; after heartbeat plus grace without news it is offline."""
    headers = await login_as(Role.SUPERVISOR)
    await client.post("/api/v1/devices", headers=headers,
                      json={"model": "anxin-watch", "id": "watch-1"})
    async with runtime.sessions() as session:
        device = await session.get(Device, "watch-1")
        assert device is not None
        device.last_seen, device.battery = clock.now(), 81.0
        await session.commit()
    first = (await client.get("/api/v1/devices", headers=headers)).json()[0]
    assert first["online"] is True and first["battery"] == 81.0
    clock.advance(181)
    later = (await client.get("/api/v1/devices", headers=headers)).json()[0]
    assert later["online"] is False


async def test_dashboard_summary_counts_online_and_low_battery(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        clock: ManualClock) -> None:
    """The live snapshot's devices part counts active, online and low-battery devices."""
    from dashboard.live import build_snapshot

    headers = await login_as(Role.ADMIN)
    for device_id in ("watch-a", "watch-b"):
        await client.post("/api/v1/devices", headers=headers,
                          json={"model": "anxin-watch", "id": device_id})
    async with runtime.sessions() as session:
        device = await session.get(Device, "watch-a")
        assert device is not None
        device.last_seen, device.battery = clock.now(), 12.0
        await session.commit()
        from accounts import service as accounts_service
        user = await accounts_service.get_user_by_username(session, "test_admin")
    assert user is not None
    snapshot = await build_snapshot(runtime, user)
    assert snapshot["devices"] == {"active": 2, "online": 1, "low_battery": 1}


async def test_retiring_a_device_is_audited_and_takes_it_offline(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        clock: ManualClock) -> None:
    """A retired device shows state retired and offline, and the audit log names who did it."""
    from accounts.models import AuditEntry

    headers = await login_as(Role.SUPERVISOR)
    await client.post("/api/v1/devices", headers=headers,
                      json={"model": "bed-sensor", "id": "bed-7"})
    retired = await client.post("/api/v1/devices/bed-7/retire", headers=headers)
    assert retired.status_code == 200
    assert retired.json()["state"] == "retired" and retired.json()["online"] is False
    missing = await client.post("/api/v1/devices/nope-1/retire", headers=headers)
    assert missing.status_code == 404
    async with runtime.sessions() as session:
        actions = (await session.execute(
            select(AuditEntry.action).where(AuditEntry.actor == "test_supervisor"))).scalars()
        assert {"device.provision", "device.retire"} <= set(actions)
