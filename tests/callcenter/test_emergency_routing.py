"""Emergencies on the routing desk through the real app: who is rung, what the desk shows,
the alerts supervisors get, and a desk that closes mid-offer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import websockets

from alarms import flows as alarm_flows
from callcenter.routing.flows import sync_alarm_tasks
from callcenter.routing.lifespan import desk_of
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from tests.callcenter.test_routing_desk import make_senior, operators, token
from tests.conftest import LiveServer, serve


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The routing loop is driven by hand here (sync_alarm_tasks, tick); a whole shift logs in
    from one address."""
    return settings.model_copy(update={"run_background_tasks": False, "login_rate_burst": 50})


@pytest.fixture
async def server(settings: Settings, clock: ManualClock) -> AsyncIterator[LiveServer]:
    async for running in serve(create_app(settings, clock=clock)):
        yield running


async def test_an_operator_ringing_a_p3_gets_the_sos_with_who_what_and_where(
        server: LiveServer, clock: ManualClock) -> None:
    """Finding: an operator holding a P3 reservation was not offered an SOS (12 s wait), and
    the desk row said `alarm:11`. Now the SOS is offered at once to the operator without the
    emergency skill, the P3 goes back to the queue, and the offer names the senior, the
    alarm in words and the address."""
    runtime = server.runtime
    senior_id = await make_senior(runtime)
    async with httpx.AsyncClient(base_url=server.url) as http:
        [li] = await operators(runtime, http, 1, [])
        await alarm_flows.raise_and_announce(runtime, senior_id=senior_id, kind="low_battery",
                                             at=clock.now())
        await sync_alarm_tasks(runtime)
        [p3] = (await http.get("/api/v1/routing/me", headers=li)).json()["offers"]
        assert p3["state"] == "reserved"
        clock.advance(2)
        await alarm_flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                             at=clock.now())
        await sync_alarm_tasks(runtime)
        [sos] = (await http.get("/api/v1/routing/me", headers=li)).json()["offers"]
        accepted = await http.post(f"/api/v1/routing/tasks/{sos['id']}/accept", headers=li)
    assert sos["priority"] == 1 and sos["id"] != p3["id"]
    assert sos["subject"]["senior_name"] == "王秀英"
    assert sos["subject"]["what_zh"] == "紧急呼救" and sos["subject"]["what_en"] == "SOS"
    assert sos["subject"]["address"].startswith("呼和浩特市新城区")
    assert accepted.status_code == 200, accepted.text
    assert desk_of(runtime).router.tasks[p3["id"]].state == "waiting"


async def test_an_sos_nobody_takes_in_20_s_rings_supervisors_and_leaves_an_alert(
        server: LiveServer, clock: ManualClock) -> None:
    """At 20 s an unanswered SOS is offered to operators on a break and to supervisors, and
    a stored alert in words waits on the supervisor page until a supervisor closes it."""
    runtime = server.runtime
    senior_id = await make_senior(runtime)
    async with httpx.AsyncClient(base_url=server.url) as http:
        [li] = await operators(runtime, http, 1, ["emergency"])
        await http.post("/api/v1/routing/me/state", json={"state": "break"}, headers=li)
        await alarm_flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                             at=clock.now())
        await sync_alarm_tasks(runtime)
        desk = desk_of(runtime)
        clock.advance(20)
        await desk.tick()
        boss = await token(http, "boss")
        offered = (await http.get("/api/v1/routing/me", headers=boss)).json()["offers"]
        on_break = (await http.get("/api/v1/routing/me", headers=li)).json()["offers"]
        [alert] = (await http.get("/api/v1/alerts", headers=boss)).json()
        closed = await http.post(f"/api/v1/alerts/{alert['id']}/close", headers=boss,
                                 json={"note": "已回拨"})
        again = await http.post(f"/api/v1/alerts/{alert['id']}/close", headers=boss, json={})
        left = (await http.get("/api/v1/alerts", headers=boss)).json()
    assert [o["priority"] for o in offered] == [1] and [o["priority"] for o in on_break] == [1]
    assert alert["kind"] == "p1_waiting" and alert["state"] == "open"
    assert "王秀英" in alert["title_zh"] and "20" in alert["title_zh"]
    assert closed.status_code == 200 and closed.json()["closed_by"] == "boss"
    assert again.status_code == 409 and "already closed by boss" in again.json()["detail"]
    assert left == []


async def test_a_desk_that_closes_mid_offer_loses_it_to_the_others(
        server: LiveServer, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator whose browser closes while an SOS rings them is taken off the queue, and
    the offer is withdrawn from them (others keep ringing)."""
    runtime = server.runtime
    monkeypatch.setattr(runtime.settings, "presence_grace_seconds", 0.05)
    senior_id = await make_senior(runtime)
    async with httpx.AsyncClient(base_url=server.url) as http:
        li, wang = await operators(runtime, http, 2, ["emergency"])
        feed = await websockets.connect(f"ws://127.0.0.1:{server.port}/api/v1/live",
                                        additional_headers=li)
        assert json.loads(await feed.recv())["type"] == "snapshot"
        await alarm_flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                             at=clock.now())
        await sync_alarm_tasks(runtime)
        [offer] = (await http.get("/api/v1/routing/me", headers=li)).json()["offers"]
        assert set(offer["offered_to"]) == {"op0", "op1"}
        await feed.close()
        task = desk_of(runtime).router.tasks[offer["id"]]
        for _ in range(100):
            if "op0" not in task.offered_to:
                break
            await asyncio.sleep(0.05)
        operator = desk_of(runtime).router.operators["op0"]
    assert task.offered_to == {"op1"}
    assert operator.state == "offline"
    assert wang


async def test_twenty_desks_changing_state_at_once_all_get_an_answer(
        server: LiveServer) -> None:
    """Finding (anxin bench emergency): twenty operators going available at once each held a
    pooled connection from their log-in check while waiting for the desk's lock, so the lock's
    holder found no connection and every desk waited 30 s. Now all answer promptly."""
    runtime = server.runtime
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        team = await operators(runtime, http, 20, ["emergency"])
        answers = await asyncio.gather(*(
            http.post("/api/v1/routing/me/state", json={"state": state}, headers=headers)
            for headers in team for state in ("break", "available")))
    assert [answer.status_code for answer in answers] == [200] * 40
