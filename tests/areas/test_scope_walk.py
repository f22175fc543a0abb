"""The scope test: every GET route of the API, walked by staff of two sibling stations,
answers nothing of the other station (its senior's name, its device), and an id route given
the other station's ids answers as for a missing record. The routes come from /openapi.json,
so a route added later is walked without touching this file."""

from __future__ import annotations

import asyncio
import re

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from accounts.models import AuditEntry
from runtime.context import Runtime
from tests.areas.conftest import Station, World

PARAM = re.compile(r"\{([a-z_]+)\}")
PER_REQUEST_SECONDS = 20
ID_PARAMS = ("{senior_id}", "{alarm_id}", "{device_id}")


def get_routes(app: FastAPI) -> list[str]:
    paths: dict[str, dict[str, object]] = app.openapi()["paths"]
    return sorted(path for path, item in paths.items() if "get" in item)


def filled(path: str, other: Station) -> str:
    """The path with the other station's ids where it names one (and 1 elsewhere)."""
    ids = {"senior_id": other.senior_id, "alarm_id": other.alarm_id,
           "device_id": other.device_id}
    return PARAM.sub(lambda match: str(ids.get(match.group(1), 1)), path)


async def walk(client: httpx.AsyncClient, app: FastAPI, viewer: dict[str, str],
               other: Station) -> list[str]:
    leaks = []
    for path in get_routes(app):
        url = filled(path, other)
        response = await asyncio.wait_for(client.get(url, headers=viewer), PER_REQUEST_SECONDS)
        # (a refusal may repeat what was asked for: the URL's own words are no leak)
        leaks += [f"{url} ({response.status_code}) shows {marker!r}"
                  for marker in other.markers if marker in response.text and marker not in url]
        names_record = any(name in path for name in ID_PARAMS) and path.count("{") == 1
        if names_record and response.status_code < 300:
            leaks.append(f"{url} answers {response.status_code} to the other station")
    return leaks


async def test_no_get_route_shows_the_other_station(world: World, client: httpx.AsyncClient,
                                                    app: FastAPI) -> None:
    """Operators and supervisors of each sibling station see nothing of the other one."""
    assert len(get_routes(app)) > 50  # the document really lists the API
    leaks = []
    for viewer, other in world.pairs():
        for headers in (viewer.headers, viewer.supervisor):
            leaks += await walk(client, app, headers, other)
    assert leaks == [], "\n".join(leaks)


async def test_the_parent_sees_its_station_and_not_the_sibling(world: World,
                                                             client: httpx.AsyncClient) -> None:
    """Xilingol's supervisor sees Erenhot's senior but not Manzhouli's; the region both."""
    league = await client.get("/api/v1/seniors", headers=world.xilingol_headers)
    region = await client.get("/api/v1/seniors", headers=world.region_headers)
    assert {s["name"] for s in league.json()["items"]} == {world.erenhot.senior_name}
    assert {s["name"] for s in region.json()["items"]} >= {world.erenhot.senior_name,
                                                            world.manzhouli.senior_name}


async def test_a_record_outside_scope_is_missing_and_audited(world: World,
                                                            client: httpx.AsyncClient,
                                                            runtime: Runtime) -> None:
    """Asking for the other station's senior answers the missing record's 404, audited."""
    other = world.manzhouli
    hidden = await client.get(f"/api/v1/seniors/{other.senior_id}",
                              headers=world.erenhot.headers)
    missing = await client.get("/api/v1/seniors/999999", headers=world.erenhot.headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"]
    async with runtime.sessions() as session:
        refused = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "scope.refused"))).all()
    assert [(e.actor, e.subject_type, e.subject_id) for e in refused] == \
        [("erenhot_op", "senior", str(other.senior_id))]
