"""Statistics per area roll up the hierarchy (station → league or city → region), and the
supervisor's tree of centres shows open alarms where they are."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import httpx

from runtime.context import Runtime
from tests.areas.conftest import World


def this_month(runtime: Runtime) -> str:
    return runtime.clock.now().astimezone(ZoneInfo(runtime.settings.timezone)).strftime("%Y-%m")


async def test_the_monthly_report_rolls_areas_up(world: World, client: httpx.AsyncClient,
                                                 runtime: Runtime) -> None:
    """The region counts both stations; the league counts only the station under it."""
    params = {"month": this_month(runtime)}
    region = await client.get("/api/v1/reports/monthly", params=params,
                              headers=world.region_headers)
    league = await client.get("/api/v1/reports/monthly", params=params,
                              headers=world.xilingol_headers)
    assert region.status_code == 200, region.text
    figures = {row["code"]: (row["seniors"], row["alarms"]) for row in region.json()["areas"]}
    assert figures == {"150000": (2, 2), "150700": (1, 1), "150781": (1, 1),
                       "152500": (1, 1), "152501": (1, 1)}
    assert [(row["code"], row["name_en"], row["seniors"]) for row in league.json()["areas"]] \
        == [("152500", "Xilingol League", 1), ("152501", "Erenhot", 1)]


async def test_supervisors_see_the_centres_they_oversee(world: World,
                                                       client: httpx.AsyncClient) -> None:
    """The region's supervisor gets every centre under its parent with its open alarms; a
    station's supervisor gets only the station."""
    region = await client.get("/api/v1/reports/centres", headers=world.region_headers)
    station = await client.get("/api/v1/reports/centres", headers=world.erenhot.supervisor)
    assert region.status_code == 200, region.text
    assert [(c["slug"], c["depth"], c["open_alarms"]) for c in region.json()] == [
        ("region", 0, 2), ("hohhot", 1, 0), ("hulunbuir", 1, 1), ("manzhouli", 2, 1),
        ("xilingol", 1, 1), ("erenhot", 2, 1)]
    assert [(c["slug"], c["name_zh"], c["on_duty"]) for c in station.json()] == [
        ("erenhot", "二连浩特市12349服务站", [])]
