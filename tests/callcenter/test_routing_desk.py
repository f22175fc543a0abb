"""The routing desk through the real app: alarms become tasks, races, restarts, roles."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from accounts import service as accounts_service
from accounts.roles import Role
from alarms import flows as alarm_flows
from alarms import service as alarms_service
from callcenter.routing.flows import sync_alarm_tasks
from callcenter.routing.lifespan import desk_of
from config.settings import Settings
from dashboard.app import create_app
from incidents import service as incidents_service
from incidents.kinds import OpenedVia
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.conftest import TEST_PASSWORD, LiveServer, LoginAs, serve
from tests.seniors.test_api import senior_body


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The routing loop is driven by hand here (sync_alarm_tasks, tick)."""
    return settings.model_copy(update={"run_background_tasks": False})


async def make_senior(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
        await session.commit()
        return senior.id


async def operators(runtime: Runtime, http: httpx.AsyncClient, count: int,
                    skills: list[str]) -> list[dict[str, str]]:
    """Operators logged in, given skills by a supervisor, and gone available."""
    headers = []
    async with runtime.sessions() as session:
        for i in range(count):
            await accounts_service.create_user(session, username=f"op{i}", display_name="op",
                                               role=Role.OPERATOR, password=TEST_PASSWORD,
                                               now=runtime.clock.now())
        await accounts_service.create_user(session, username="boss", display_name="boss",
                                           role=Role.SUPERVISOR, password=TEST_PASSWORD,
                                           now=runtime.clock.now())
        await session.commit()
    boss = await token(http, "boss")
    for i in range(count):
        await http.put(f"/api/v1/routing/operators/op{i}", headers=boss,
                       json={"skills": skills, "languages": ["zh-CN"]})
        mine = await token(http, f"op{i}")
        response = await http.post("/api/v1/routing/me/state", json={"state": "available"},
                                   headers=mine)
        assert response.status_code == 200, response.text
        headers.append(mine)
    return headers


async def token(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/api/v1/auth/login",
                               json={"username": username, "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def server(settings: Settings, clock: ManualClock) -> AsyncIterator[LiveServer]:
    async for running in serve(create_app(settings, clock=clock)):
        yield running


async def test_many_operators_accept_one_broadcast_exactly_one_wins(server: LiveServer) -> None:
    """Eight operators accept the same P1 alarm at once over real HTTP: one 200, seven 409."""
    runtime = server.runtime
    senior_id = await make_senior(runtime)
    async with httpx.AsyncClient(base_url=server.url) as http:
        team = await operators(runtime, http, 8, ["emergency"])
        await alarm_flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                             at=runtime.clock.now())
        await sync_alarm_tasks(runtime)
        offers = (await http.get("/api/v1/routing/me", headers=team[0])).json()["offers"]
        assert len(offers) == 1 and len(offers[0]["offered_to"]) == 8
        task_id = offers[0]["id"]
        answers = await asyncio.gather(*(
            http.post(f"/api/v1/routing/tasks/{task_id}/accept", headers=h) for h in team))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * 7
    winner = next(a.json()["assigned_to"] for a in answers if a.status_code == 200)
    async with runtime.sessions() as session:
        alarms = await alarms_service.open_alarms_for_senior(session, senior_id=senior_id)
    assert alarms[0].acknowledged_by == winner


async def test_restart_resumes_the_queue(settings: Settings, clock: ManualClock) -> None:
    """Stop the service with a reservation pending; a new one resumes it and expires it on time."""
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            team = await operators(runtime, http, 2, [])
        senior_id = await make_senior(runtime)
        await alarm_flows.raise_and_announce(runtime, senior_id=senior_id, kind="low_battery",
                                             at=clock.now())
        await sync_alarm_tasks(runtime)
        before = {t.id: (t.state, t.reserved_to) for t in desk_of(runtime).router.tasks.values()}
    assert [state for state, _ in before.values()] == ["reserved"]
    clock.advance(16)
    again = create_app(settings, clock=clock)
    async with again.router.lifespan_context(again):
        runtime = again.state.runtime
        desk = desk_of(runtime)
        assert {t.id: (t.state, t.reserved_to) for t in desk.router.tasks.values()} == before
        await desk.tick()
        task = next(iter(desk.router.tasks.values()))
        first_holder = next(iter(before.values()))[1]
        assert task.state == "reserved" and task.reserved_to not in (None, first_holder)
        assert desk.router.operators[first_holder or ""].misses == 1
        await sync_alarm_tasks(runtime)
        assert len(desk.router.tasks) == 1, "the alarm must not be queued twice"
    assert team


async def test_acknowledging_in_the_alarm_queue_stops_the_offer(
    app: object, client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
) -> None:
    """An alarm taken from the alarm queue page is withdrawn from the routing desk."""
    senior_id = await make_senior(runtime)
    team = await operators(runtime, client, 1, ["emergency"])
    raised = await alarm_flows.raise_and_announce(runtime, senior_id=senior_id, kind="fall",
                                                  at=runtime.clock.now())
    await sync_alarm_tasks(runtime)
    assert (await client.get("/api/v1/routing/me", headers=team[0])).json()["offers"]
    await client.post(f"/api/v1/alarms/{raised.alarm.id}/ack", headers=team[0])
    await sync_alarm_tasks(runtime)
    assert (await client.get("/api/v1/routing/me", headers=team[0])).json()["offers"] == []
    dispatcher = await login_as(Role.DISPATCHER)
    assert (await client.post("/api/v1/routing/me/state", json={"state": "available"},
                              headers=dispatcher)).status_code == 403
    bad = await client.post("/api/v1/routing/me/state", json={"state": "busy"},
                            headers=team[0])
    assert bad.status_code == 422 and "state" in bad.json()["detail"]


async def test_a_new_alarm_of_a_senior_in_an_open_incident_goes_to_its_owner(
    app: object, client: httpx.AsyncClient, runtime: Runtime,
) -> None:
    """op1 owns the senior's incident; the senior's next alarm is reserved for op1 although
    op0 has been idle longer, and survives a restart of the desk with that preference."""
    senior_id = await make_senior(runtime)
    await operators(runtime, client, 2, [])
    async with runtime.sessions() as session:
        await incidents_service.open_incident(session, senior_id=senior_id, owner="op1",
                                              via=OpenedVia.MANUAL, now=runtime.clock.now())
        await session.commit()
    raised = await alarm_flows.raise_and_announce(runtime, senior_id=senior_id,
                                                  kind="low_battery", at=runtime.clock.now())
    await sync_alarm_tasks(runtime)
    desk = desk_of(runtime)
    task = next(t for t in desk.router.tasks.values() if t.ref == f"alarm:{raised.alarm.id}")
    assert (task.state, task.reserved_to, task.preferred) == ("reserved", "op1", "op1")
    await desk.load()
    assert desk.router.tasks[task.id].preferred == "op1"
