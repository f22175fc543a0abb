"""Dispatch prefers providers affiliated with the senior's centre, then its parent's."""

from __future__ import annotations

import httpx
from sqlalchemy import select, update

from accounts.roles import Role
from dispatch.models import Provider
from runtime.context import Runtime
from tests.areas.conftest import World, add_staff, login
from tests.dispatch.steps import create_order, open_offers


async def register(client: httpx.AsyncClient, headers: dict[str, str], name: str,
                   districts: list[str]) -> int:
    body = {"name": name, "phone": "13800000000", "services": ["cleaning"],
            "districts": districts, "work_start_minute": 0, "work_end_minute": 0,
            "capacity": 2, "channel": "sms"}
    response = await client.post("/api/v1/providers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def rate(runtime: Runtime, provider_id: int, stars: float) -> None:
    async with runtime.sessions() as session:
        await session.execute(update(Provider).where(Provider.id == provider_id)
                              .values(rating_sum=stars, rating_count=1))
        await session.commit()


async def test_an_order_goes_to_the_stations_provider_first(
        world: World, client: httpx.AsyncClient, runtime: Runtime) -> None:
    """An Erenhot senior's order is offered to the Erenhot provider although the league's
    and the region's score higher; without the station's, the league's comes next."""
    await add_staff(runtime, "region_disp", Role.DISPATCHER, ("region",))
    await add_staff(runtime, "xilingol_disp", Role.DISPATCHER, ("xilingol",))
    region, league = await login(client, "region_disp"), await login(client, "xilingol_disp")
    station = await register(client, region, "二连浩特家政", ["二连浩特市"])
    leagues = await register(client, league, "锡林郭勒盟家政", ["二连浩特市", "锡林郭勒盟"])
    regions = await register(client, region, "全区家政", ["二连浩特市", "满洲里市"])
    async with runtime.sessions() as session:
        rows = await session.execute(select(Provider.id, Provider.area_code))
        areas = {row.id: row.area_code for row in rows}
    assert areas == {station: "152501", leagues: "152500", regions: "150000"}
    await rate(runtime, station, 2.0)
    for better in (leagues, regions):
        await rate(runtime, better, 5.0)
    first = await create_order(client, region, world.erenhot.senior_id)
    assert set(await open_offers(runtime, first["id"])) == {station}
    async with runtime.sessions() as session:
        await session.execute(update(Provider).where(Provider.id == station)
                              .values(status="suspended"))
        await session.commit()
    second = await create_order(client, region, world.erenhot.senior_id, service="cleaning")
    assert set(await open_offers(runtime, second["id"])) == {leagues}
