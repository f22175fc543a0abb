"""A call from a registered alarm unit's SIM number skips the menu as an emergency."""

from __future__ import annotations

import httpx

from accounts.roles import Role
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.callcenter.conftest import dial
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body

HUB_SIM = "+8613804715555"


async def test_call_from_an_alarm_units_sim_is_its_seniors_emergency(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """The hub's number, however written, is resolved to its senior and queued as an
    emergency without the menu; once the hub is retired the number hears the menu again."""
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
        await session.commit()
    supervisor = await login_as(Role.SUPERVISOR)
    provisioned = await client.post("/api/v1/devices", headers=supervisor, json={
        "model": "anxin-home-hub", "id": "hub-sim", "senior_id": senior.id})
    assert provisioned.status_code == 201
    edited = await client.patch("/api/v1/devices/hub-sim", headers=supervisor,
                                json={"phone": HUB_SIM})
    assert edited.status_code == 200, edited.text

    operator = await login_as(Role.OPERATOR)
    call = await dial(client, operator, "138-0471-5555")
    assert call["call"]["senior_id"] == senior.id
    assert call["call"]["queue"] == "emergency"
    assert call["call"]["ivr_path"] == ["fast-path:alarm-device"]
    assert not any(action["type"] == "gather" for action in call["actions"])

    await client.post("/api/v1/devices/hub-sim/retire", headers=supervisor)
    later = await dial(client, operator, HUB_SIM)
    assert later["call"]["queue"] != "emergency"
    assert any(action["type"] == "gather" for action in later["actions"])
