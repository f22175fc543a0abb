"""A role in each centre: a staff member can be operator at one station and supervisor at
another; a route checks the role held in the centre that owns the record, and a list shows
only the centres where the role holds. The admin sets the centres and roles."""

from __future__ import annotations

import httpx
import pytest

from accounts.roles import Role
from runtime.context import Runtime
from tests.areas.conftest import World, add_staff, login

PROFILE = {"inactivity_hours": 6}


@pytest.fixture
async def admin(world: World, runtime: Runtime, client: httpx.AsyncClient) -> dict[str, str]:
    await add_staff(runtime, "centre_admin", Role.ADMIN, ("region",))
    return await login(client, "centre_admin")


async def give_centres(client: httpx.AsyncClient, admin: dict[str, str], username: str,
                       centres: list[dict[str, str]]) -> httpx.Response:
    staff = (await client.get("/api/v1/staff", headers=admin)).json()
    (target,) = [s for s in staff if s["username"] == username]
    return await client.put(f"/api/v1/staff/{target['id']}/centres",
                            json={"centres": centres}, headers=admin)


async def test_the_role_of_the_owning_centre_decides(
        world: World, client: httpx.AsyncClient, runtime: Runtime,
        admin: dict[str, str]) -> None:
    """Supervisor at Erenhot and operator at Manzhouli: the supervisor's action passes on an
    Erenhot senior, is refused (403) on a Manzhouli one, while reading both works."""
    await add_staff(runtime, "bater", Role.OPERATOR, ("manzhouli",))
    given = await give_centres(client, admin, "bater", [
        {"centre": "erenhot", "role": "supervisor"}, {"centre": "manzhouli", "role": "operator"}])
    assert given.status_code == 200, given.text
    assert [(c["centre_slug"], c["name_en"], c["role"]) for c in given.json()["centres"]] == [
        ("erenhot", "Erenhot 12349 station", "supervisor"),
        ("manzhouli", "Manzhouli 12349 station", "operator")]
    bater = await login(client, "bater")
    for station in (world.erenhot, world.manzhouli):
        seen = await client.get(f"/api/v1/seniors/{station.senior_id}", headers=bater)
        assert seen.status_code == 200, seen.text
    ours = await client.put(f"/api/v1/alarms/profiles/{world.erenhot.senior_id}",
                            json=PROFILE, headers=bater)
    theirs = await client.put(f"/api/v1/alarms/profiles/{world.manzhouli.senior_id}",
                              json=PROFILE, headers=bater)
    assert ours.status_code == 200, ours.text
    assert theirs.status_code == 403, theirs.text
    assert "centre this record belongs to" in theirs.json()["detail"]


async def test_a_list_shows_only_where_the_role_holds(
        world: World, client: httpx.AsyncClient, runtime: Runtime,
        admin: dict[str, str]) -> None:
    """A supervisor-only list (the tree of centres overseen) shows the station where the
    account supervises, not the one where it is an operator; with the role nowhere, 403."""
    await add_staff(runtime, "bater", Role.OPERATOR, ("manzhouli",))
    await give_centres(client, admin, "bater", [
        {"centre": "erenhot", "role": "supervisor"}, {"centre": "manzhouli", "role": "operator"}])
    bater = await login(client, "bater")
    tree = await client.get("/api/v1/reports/centres", headers=bater)
    assert tree.status_code == 200, tree.text
    assert [c["slug"] for c in tree.json()] == ["erenhot"]
    seniors = await client.get("/api/v1/seniors", headers=bater)
    assert {s["id"] for s in seniors.json()["items"]} == \
        {world.erenhot.senior_id, world.manzhouli.senior_id}
    refused = await client.get("/api/v1/reports/centres", headers=world.manzhouli.headers)
    assert refused.status_code == 403


async def test_bad_centres_are_refused_and_change_nothing(
        world: World, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    """An unknown centre, a centre twice or none at all: 422 naming it; the account keeps its
    centres; a good change is audited from → to."""
    for centres, words in (([{"centre": "atlantis", "role": "operator"}], "atlantis"),
                           ([{"centre": "erenhot", "role": "operator"}] * 2, "once"),
                           ([], "at least 1")):
        refused = await give_centres(client, admin, "erenhot_op", centres)
        assert refused.status_code == 422, refused.text
        assert words in refused.text
    staff = (await client.get("/api/v1/staff", headers=admin)).json()
    (erenhot_op,) = [s for s in staff if s["username"] == "erenhot_op"]
    assert [(c["centre_slug"], c["role"]) for c in erenhot_op["centres"]] == \
        [("erenhot", "operator")]
    moved = await give_centres(client, admin, "erenhot_op",
                               [{"centre": "xilingol", "role": "supervisor"}])
    assert moved.status_code == 200 and moved.json()["role"] == "supervisor"
    audit = await client.get("/api/v1/audit", params={"action": "staff.centres"},
                             headers=admin)
    assert [e["detail"] for e in audit.json()] == [
        {"from": {"erenhot": "operator"}, "to": {"xilingol": "supervisor"}}]
