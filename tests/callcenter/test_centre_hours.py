"""Opening hours and duty across centres through the real desk and database, under a frozen
clock moved across the border stations' closing time: a closed station or one with nobody on
duty hands its work to the league centre at once, new work stays home once it is staffed
and open again, and the alarm's record says which centre handled it for which."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from accounts.models import AuditEntry
from accounts.roles import Role
from alarms import service as alarms_service
from areas import service as areas_service
from areas.exceptions import OpeningHoursError
from areas.hours import daily, parse_hours
from callcenter.routing import call_tasks
from callcenter.routing.flows import sync_alarm_tasks
from callcenter.routing.lifespan import desk_of
from callcenter.routing.models import RoutingTask
from config.settings import Settings
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.areas.conftest import World, add_staff, build_world, login
from tests.callcenter.conftest import dial, press

# The demo's border stations open 08:00–20:00 Beijing time (UTC+8).
BEFORE_CLOSING = datetime(2026, 1, 5, 11, 59, tzinfo=UTC)  # 19:59 at Erenhot
AFTER_CLOSING = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # 20:00
NEXT_MORNING = datetime(2026, 1, 6, 0, 0, tzinfo=UTC)  # 08:00


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The routing loop is driven by hand here (sync_alarm_tasks, tick)."""
    return settings.model_copy(update={"run_background_tasks": False})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(BEFORE_CLOSING)


async def staffed(runtime: Runtime, client: httpx.AsyncClient) -> tuple[World, dict[str, str]]:
    """The two stations' world, with Erenhot's operator and a league operator available."""
    world = await build_world(runtime, client)
    await add_staff(runtime, "xilingol_op", Role.OPERATOR, ("xilingol",))
    league = await login(client, "xilingol_op")
    for headers in (world.erenhot.headers, league):
        await available(client, headers)
    return world, league


async def available(client: httpx.AsyncClient, headers: dict[str, str],
                    state: str = "available") -> None:
    response = await client.post("/api/v1/routing/me/state", json={"state": state},
                                 headers=headers)
    assert response.status_code == 200, response.text


async def offered(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    response = await client.get("/api/v1/routing/me", headers=headers)
    assert response.status_code == 200, response.text
    return {offer["ref"] for offer in response.json()["offers"]}


async def sos(runtime: Runtime, world: World, kind: str = "fall") -> str:
    """Another P1 alarm at Erenhot (the world's first one is its SOS)."""
    async with runtime.sessions() as session:
        raised = await alarms_service.raise_alarm(session, senior_id=world.erenhot.senior_id,
                                                  kind=kind, at=runtime.clock.now())
        await session.commit()
    await sync_alarm_tasks(runtime)
    return f"alarm:{raised.alarm.id}"


async def test_open_and_staffed_the_station_keeps_its_work(
        runtime: Runtime, client: httpx.AsyncClient) -> None:
    """At 19:59 Erenhot's SOS rings Erenhot's operator only, not the league's."""
    world, league = await staffed(runtime, client)
    await sync_alarm_tasks(runtime)
    ref = f"alarm:{world.erenhot.alarm_id}"
    assert ref in await offered(client, world.erenhot.headers)
    assert ref not in await offered(client, league)


async def test_a_closed_station_hands_its_work_to_the_league_at_once(
        runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock) -> None:
    """At 20:00 the waiting SOS rings the league too, as does new work at once; at 08:00
    the next morning new work stays at the station."""
    world, league = await staffed(runtime, client)
    await sync_alarm_tasks(runtime)
    waiting = f"alarm:{world.erenhot.alarm_id}"
    clock.advance((AFTER_CLOSING - BEFORE_CLOSING).total_seconds())
    await desk_of(runtime).tick()
    assert waiting in await offered(client, league)
    night = await sos(runtime, world)
    assert night in await offered(client, league)
    clock.advance((NEXT_MORNING - AFTER_CLOSING).total_seconds())
    station, league = await login(client, "erenhot_op"), await login(client, "xilingol_op")
    await available(client, station)  # the morning shift logs in (the night's sessions ended)
    await desk_of(runtime).tick()
    morning = await sos(runtime, world, "smoke")
    assert morning in await offered(client, station)
    assert morning not in await offered(client, league)


async def test_with_nobody_on_duty_the_league_takes_it_and_the_record_says_for_whom(
        runtime: Runtime, client: httpx.AsyncClient) -> None:
    """Erenhot's operator on a break: its SOS rings the league at once; the league
    operator's accept records both centres on the task, the alarm, its timeline and the
    audit, and the alarm answers the words of both names."""
    world, league = await staffed(runtime, client)
    await available(client, world.erenhot.headers, "break")
    await sync_alarm_tasks(runtime)
    ref = f"alarm:{world.erenhot.alarm_id}"
    assert ref in await offered(client, league)
    task = next(t for t in desk_of(runtime).router.tasks.values() if t.ref == ref)
    accepted = await client.post(f"/api/v1/routing/tasks/{task.id}/accept", headers=league)
    assert accepted.status_code == 200, accepted.text
    async with runtime.sessions() as session:
        row = await session.get(RoutingTask, task.id)
        erenhot = await areas_service.centre_by_slug(session, "erenhot")
        xilingol = await areas_service.centre_by_slug(session, "xilingol")
        audit = (await alarms_service.timeline(session, alarm_id=world.erenhot.alarm_id))
        entries = (await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "alarm.ack"))).all()
    assert row is not None
    assert (row.for_centre_id, row.handled_by_centre_id, row.overflow_reason) == \
        (erenhot.id, xilingol.id, "no_one_on_duty")
    alarm = (await client.get(f"/api/v1/alarms/{world.erenhot.alarm_id}",
                              headers=world.erenhot.headers)).json()
    assert alarm["handled_for"] == {"by_zh": xilingol.name_zh, "by_en": xilingol.name_en,
                                    "for_zh": erenhot.name_zh, "for_en": erenhot.name_en}
    acknowledged = next(step for step in audit if step.action == "acknowledged")
    assert acknowledged.detail["handled_for"] == alarm["handled_for"]
    assert [e.detail.get("handled_for") for e in entries] == [alarm["handled_for"]]


async def test_a_station_answering_its_own_work_shows_no_stand_in(
        runtime: Runtime, client: httpx.AsyncClient) -> None:
    """Erenhot's operator takes Erenhot's SOS: both centres are Erenhot, no 'for whom'."""
    world, _ = await staffed(runtime, client)
    await sync_alarm_tasks(runtime)
    ref = f"alarm:{world.erenhot.alarm_id}"
    task = next(t for t in desk_of(runtime).router.tasks.values() if t.ref == ref)
    accepted = await client.post(f"/api/v1/routing/tasks/{task.id}/accept",
                                 headers=world.erenhot.headers)
    assert accepted.status_code == 200, accepted.text
    alarm = (await client.get(f"/api/v1/alarms/{world.erenhot.alarm_id}",
                              headers=world.erenhot.headers)).json()
    assert alarm["handled_for"] is None
    assert alarm["for_centre_id"] == alarm["handled_by_centre_id"] is not None


def test_opening_hours_read_in_the_centres_time_zone() -> None:
    """08:00–20:00 in Asia/Shanghai is open at 11:59 UTC and closed at 12:00 UTC."""
    hours = parse_hours(daily("08:00", "20:00"))
    assert hours.is_open(BEFORE_CLOSING) and not hours.is_open(AFTER_CLOSING)
    assert parse_hours(None).is_open(AFTER_CLOSING)


@pytest.mark.parametrize(("hours", "zone", "named"), [
    ({"mon": [["20:00", "08:00"]]}, "Asia/Shanghai", "closes before it opens"),
    ({"mon": [["8am", "20:00"]]}, "Asia/Shanghai", "not a time like 08:00"),
    ({"monday": [["08:00", "20:00"]]}, "Asia/Shanghai", "not a weekday"),
    ({"mon": [["08:00", "25:00"]]}, "Asia/Shanghai", "not a time of day"),
    ({"mon": [[8, 20]]}, "Asia/Shanghai", "not a time like 08:00"),
    ({"mon": "08:00-20:00"}, "Asia/Shanghai", "expected a list"),
    (None, "Mars/Olympus", "not a time zone"),
])
async def test_bad_opening_hours_are_refused_and_change_nothing(
        runtime: Runtime, hours: dict[str, list[list[str]]] | None, zone: str,
        named: str) -> None:
    """Hours that cannot be read raise an error naming the problem; the centre keeps its own."""
    async with runtime.sessions() as session:
        await areas_service.add_centre(session, slug="test_station", area_code="152501",
                                       name_zh="站", name_en="Station", parent_slug="region")
        await areas_service.set_opening_hours(session, slug="test_station",
                                              hours=daily("08:00", "20:00"))
        with pytest.raises(OpeningHoursError, match=named):
            await areas_service.set_opening_hours(session, slug="test_station", hours=hours,
                                                  time_zone=zone)
        kept = await areas_service.centre_by_slug(session, "test_station")
    assert kept.hours == parse_hours(daily("08:00", "20:00"))


async def test_a_call_the_league_answers_for_a_station_says_so(
        runtime: Runtime, client: httpx.AsyncClient) -> None:
    """An Erenhot senior's emergency call while Erenhot's operator is on a break is offered
    to the league; answered there, the call record names both centres."""
    world, league = await staffed(runtime, client)
    await available(client, world.erenhot.headers, "break")
    call = await dial(client, league, "13900000001")  # the Erenhot senior's phone
    call_id = call["call"]["id"]
    await press(client, league, call_id, digits="1")
    await call_tasks.sync_call_tasks(runtime, desk_of(runtime))
    task = next(t for t in desk_of(runtime).router.tasks.values() if t.ref == f"call:{call_id}")
    assert "xilingol_op" in task.offered_to and "erenhot_op" not in task.offered_to
    accepted = await client.post(f"/api/v1/routing/tasks/{task.id}/accept", headers=league)
    assert accepted.status_code == 200, accepted.text
    answered = (await client.get(f"/api/v1/calls/{call_id}", headers=league)).json()
    assert answered["handled_for"]["for_zh"] == "二连浩特市12349服务站"
    assert answered["handled_for"]["by_en"] == "Xilingol League 12349 centre"
