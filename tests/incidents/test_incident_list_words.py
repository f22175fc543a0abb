"""The incident list says what each incident is about, and who has it, by name."""

from __future__ import annotations

import httpx

from accounts.roles import Role
from devices import service as devices_service
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.incidents.conftest import LoginNamed, raise_alarm


async def test_the_list_carries_priority_alarm_kind_and_owner_name(
        client: httpx.AsyncClient, login_named: LoginNamed, runtime: Runtime,
        clock: ManualClock, senior_id: int) -> None:
    """An incident from a P1 SOS lists priority 1, kind sos and the owner's display name."""
    anna = await login_named("anna", Role.OPERATOR)
    sos = await raise_alarm(runtime, senior_id, "sos")
    assert (await client.post(f"/api/v1/alarms/{sos}/ack", headers=anna)).status_code == 200
    listed = (await client.get("/api/v1/incidents?state=open", headers=anna)).json()
    assert [(i["priority"], i["alarm_kind"], i["owner_name"]) for i in listed] == [
        (1, "sos", "anna")]


async def test_devices_name_their_senior(client: httpx.AsyncClient, login_named: LoginNamed,
                                         runtime: Runtime, clock: ManualClock,
                                         senior_id: int) -> None:
    """The device list names the wearer, not only the senior's number."""
    anna = await login_named("anna", Role.OPERATOR)
    async with runtime.sessions() as session:
        await devices_service.provision_device(session, model_id="anxin-pendant",
                                               senior_id=senior_id, location="卧室",
                                               device_id="pendant-named", now=clock.now())
        await session.commit()
    listed = (await client.get("/api/v1/devices", headers=anna)).json()
    senior = (await client.get(f"/api/v1/seniors/{senior_id}", headers=anna)).json()
    assert [(d["id"], d["senior_name"]) for d in listed] == [("pendant-named", senior["name"])]
