"""Statistics per area roll up the hierarchy (station → league or city → region), and the
supervisor's tree of centres shows open alarms where they are."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import update

from alarms.models import Alarm
from callcenter.models import CallLeg
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


async def _call(runtime: Runtime, *, senior_id: int | None, line: str, answered_after: float |
                None) -> None:
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        session.add(CallLeg(
            provider="simulator", provider_sid=None, direction="inbound", purpose="hotline",
            from_number="+8613700000099", to_number=line, senior_id=senior_id,
            status="completed", created_at=now, ivr_state={}, ivr_path=[], priority=3,
            callback_offered=False, offered_at=now, ended_at=now + timedelta(seconds=90),
            answered_at=None if answered_after is None else now + timedelta(
                seconds=answered_after),
            operator=None if answered_after is None else "erenhot_op"))
        await session.commit()


async def test_todays_kpis_roll_up_from_station_to_league_to_region(
        world: World, client: httpx.AsyncClient, runtime: Runtime) -> None:
    """Erenhot answers its senior's call in 10 s and a stranger's on its line in 30 s, and
    acknowledges its alarm in 30 s; Manzhouli's call is abandoned and its alarm waits. The
    league counts Erenhot's figures, the region all of them; a station sees only its own."""
    await _call(runtime, senior_id=world.erenhot.senior_id, line="12349", answered_after=10)
    await _call(runtime, senior_id=None, line="0479-7512349", answered_after=30)
    await _call(runtime, senior_id=world.manzhouli.senior_id, line="12349", answered_after=None)
    async with runtime.sessions() as session:
        await session.execute(update(Alarm).where(Alarm.id == world.erenhot.alarm_id).values(
            acknowledged_at=runtime.clock.now() + timedelta(seconds=30)))
        await session.commit()
    region = await client.get("/api/v1/reports/centres", headers=world.region_headers)
    assert region.status_code == 200, region.text
    figures = {c["slug"]: (c["kpis"]["calls_offered"], c["kpis"]["calls_answered"],
                           c["kpis"]["calls_abandoned"], c["kpis"]["service_level"],
                           c["kpis"]["average_speed_of_answer_s"], c["kpis"]["alarms_raised"],
                           c["kpis"]["alarms_within_60s"]) for c in region.json()}
    erenhot = (2, 2, 0, 0.5, 20.0, 1, 1.0)
    assert figures == {"region": (3, 2, 1, 0.3333, 20.0, 2, 0.5), "hohhot": (0, 0, 0, None,
                       None, 0, None), "xilingol": erenhot, "erenhot": erenhot,
                       "hulunbuir": (1, 0, 1, 0.0, None, 1, 0.0),
                       "manzhouli": (1, 0, 1, 0.0, None, 1, 0.0)}
    station = await client.get("/api/v1/reports/centres", headers=world.manzhouli.supervisor)
    assert [(c["slug"], c["kpis"]["calls_offered"], c["kpis"]["alarms_raised"])
            for c in station.json()] == [("manzhouli", 1, 1)]
    start = runtime.clock.now() + timedelta(hours=1)
    later = await client.get("/api/v1/reports/centres", headers=world.region_headers,
                             params={"from": start.isoformat(),
                                     "to": (start + timedelta(hours=1)).isoformat()})
    assert later.status_code == 200, later.text
    assert {c["kpis"]["calls_offered"] for c in later.json()} == {0}
    bad = await client.get("/api/v1/reports/centres", headers=world.region_headers,
                           params={"from": start.isoformat()})
    assert bad.status_code == 422 and "both from and to" in bad.text
