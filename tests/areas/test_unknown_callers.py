"""A call from a number no senior has goes to the centre whose line it dialled; with no
one on duty there, to the parent centre; a line no centre claims stays every centre's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from accounts.roles import Role
from callcenter.routing import call_tasks
from callcenter.routing.lifespan import desk_of
from config.settings import Settings
from runtime.context import Runtime
from tests.areas.conftest import World, add_staff, login

STRANGER = "+8613700000099"
ERENHOT_LINE = "0479-7512349"  # areas/demo.py


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The routing loop is driven by hand (sync) under the manual clock."""
    return settings.model_copy(update={"run_background_tasks": False})


async def on_desk(client: httpx.AsyncClient, world: World, *usernames: str
                  ) -> dict[str, dict[str, str]]:
    """Each operator trained for emergencies and available."""
    desks = {}
    for username in usernames:
        trained = await client.put(f"/api/v1/routing/operators/{username}",
                                   headers=world.region_headers,
                                   json={"skills": ["emergency"], "languages": ["zh-CN"]})
        assert trained.status_code == 200, trained.text
        desks[username] = await login(client, username)
        ready = await client.post("/api/v1/routing/me/state", json={"state": "available"},
                                  headers=desks[username])
        assert ready.status_code == 200, ready.text
    return desks


async def emergency_call(client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str],
                         line: str | None) -> int:
    body: dict[str, Any] = {"from_number": STRANGER}
    if line is not None:
        body["to_number"] = line
    dialled = await client.post("/telephony/simulator/calls", json=body, headers=headers)
    assert dialled.status_code == 201, dialled.text
    call_id = int(dialled.json()["call"]["id"])
    pressed = await client.post(f"/telephony/simulator/calls/{call_id}/input",
                                json={"digits": "1"}, headers=headers)
    assert pressed.status_code == 200, pressed.text
    await call_tasks.sync_call_tasks(runtime, desk_of(runtime))
    return call_id


async def offered(client: httpx.AsyncClient, desks: dict[str, dict[str, str]], call_id: int
                  ) -> set[str]:
    """Who has the call's task among their offers."""
    rung = set()
    for username, headers in desks.items():
        mine = (await client.get("/api/v1/routing/me", headers=headers)).json()
        if any(offer["ref"] == f"call:{call_id}" for offer in mine["offers"]):
            rung.add(username)
    return rung


@pytest.fixture
async def desks(world: World, runtime: Runtime, client: httpx.AsyncClient
                ) -> dict[str, dict[str, str]]:
    await add_staff(runtime, "xilingol_op", Role.OPERATOR, ("xilingol",))
    return await on_desk(client, world, "erenhot_op", "manzhouli_op", "xilingol_op")


async def test_a_call_on_a_stations_line_rings_that_station(
        world: World, client: httpx.AsyncClient, runtime: Runtime,
        desks: dict[str, dict[str, str]]) -> None:
    """An unknown caller on Erenhot's line rings Erenhot's operator, not Manzhouli's nor
    the league's while Erenhot has someone on duty."""
    call_id = await emergency_call(client, runtime, desks["erenhot_op"], ERENHOT_LINE)
    assert await offered(client, desks, call_id) == {"erenhot_op"}


async def test_with_the_station_off_duty_its_line_rings_the_parent(
        world: World, client: httpx.AsyncClient, runtime: Runtime,
        desks: dict[str, dict[str, str]]) -> None:
    """With Erenhot's operator logged off the queue, its line's call goes to the league."""
    off = await client.post("/api/v1/routing/me/state", json={"state": "offline"},
                            headers=desks["erenhot_op"])
    assert off.status_code == 200, off.text
    call_id = await emergency_call(client, runtime, desks["xilingol_op"], "+86 479 7512349")
    assert await offered(client, desks, call_id) == {"xilingol_op"}


async def test_a_line_no_centre_claims_rings_every_centre(
        world: World, client: httpx.AsyncClient, runtime: Runtime,
        desks: dict[str, dict[str, str]]) -> None:
    """The platform's own hotline (no centre's line) leaves the call every centre's."""
    call_id = await emergency_call(client, runtime, desks["erenhot_op"], None)
    assert await offered(client, desks, call_id) == set(desks)


async def test_a_call_on_a_stations_line_is_that_stations_to_see(
        world: World, client: httpx.AsyncClient, runtime: Runtime,
        desks: dict[str, dict[str, str]]) -> None:
    """An unknown caller's call on Erenhot's line is listed for Erenhot and the league above
    it, not for the sibling station Manzhouli, which gets 404 for it by id; a call on no
    centre's line stays listed for everyone."""
    station = await emergency_call(client, runtime, desks["erenhot_op"], ERENHOT_LINE)
    platform = await emergency_call(client, runtime, desks["erenhot_op"], None)
    for username, sees_station in (("erenhot_op", True), ("xilingol_op", True),
                                   ("manzhouli_op", False)):
        listed = await client.get("/api/v1/calls", headers=desks[username])
        assert listed.status_code == 200, listed.text
        ids = {call["id"] for call in listed.json()}
        assert (station in ids) is sees_station, username
        assert platform in ids, username
    hidden = await client.get(f"/api/v1/calls/{station}", headers=desks["manzhouli_op"])
    assert hidden.status_code == 404, hidden.text
