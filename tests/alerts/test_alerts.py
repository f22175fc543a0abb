"""Supervisor alerts: raised once per condition, counted while open, seen and closed once."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from accounts.roles import Role
from alerts import flows, service
from alerts.exceptions import AlertStateError
from alerts.models import SupervisorAlert
from config.settings import Settings
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Only the loop under test runs (started by the test)."""
    return settings.model_copy(update={"run_background_tasks": False})


async def stored(runtime: Runtime) -> list[SupervisorAlert]:
    async with runtime.sessions() as session:
        return list((await session.execute(select(SupervisorAlert))).scalars())


async def test_a_condition_that_goes_on_is_one_alert_with_a_count(
        runtime: Runtime, clock: ManualClock) -> None:
    """The same kind and subject while open counts repeats; after closing, a new one opens."""
    for _ in range(3):
        await flows.raise_and_announce(runtime, kind="operator_break", ref="operator:li",
                                       detail={"operator": "li", "misses": 2})
    [alert] = await stored(runtime)
    assert alert.count == 3
    async with runtime.sessions() as session:
        await service.close(session, alert_id=alert.id, by="boss", now=clock.now())
        await session.commit()
    await flows.raise_and_announce(runtime, kind="operator_break", ref="operator:li")
    assert [a.state for a in await stored(runtime)] == ["closed", "open"]


async def test_two_supervisors_closing_at_once_close_it_once(
        runtime: Runtime, clock: ManualClock) -> None:
    """Of two concurrent closes exactly one wins; the other is told who closed it."""
    await flows.raise_and_announce(runtime, kind="ingest_stopped", ref="ingest",
                                   detail={"reason": "no messages for 30 s"})
    [alert] = await stored(runtime)

    async def close(by: str) -> str:
        async with runtime.sessions() as session:
            try:
                await service.close(session, alert_id=alert.id, by=by, now=clock.now())
            except AlertStateError as error:
                return str(error)
            await session.commit()
            return "closed"

    outcomes = sorted(await asyncio.gather(close("wang"), close("zhao")))
    assert outcomes[1] == "closed" and "already closed by" in outcomes[0]


async def test_an_ingest_that_stops_consuming_raises_an_alert_in_words(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """The ingest's health report on the bus becomes a stored alert a supervisor reads."""
    watcher = asyncio.create_task(flows.watch_health(runtime))
    await asyncio.sleep(0)
    runtime.bus.publish("ingest.health", {"consuming": False, "reason": "subscription lost"},
                        roles=("supervisor",))
    for _ in range(100):
        if await stored(runtime):
            break
        await asyncio.sleep(0.02)
    watcher.cancel()
    supervisor = await login_as(Role.SUPERVISOR)
    [alert] = (await client.get("/api/v1/alerts", headers=supervisor)).json()
    assert alert["kind"] == "ingest_stopped" and alert["urgent"] is True
    assert alert["title_zh"] == "设备数据接收已停止：subscription lost"
    assert alert["title_en"] == "Device data ingest stopped: subscription lost"


async def test_operators_read_alerts_but_only_supervisors_close_them(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """Role checks: an operator may list, not close; a dispatcher may do neither."""
    await flows.raise_and_announce(runtime, kind="p1_waiting", ref="alarm:1",
                                   detail={"what": "王秀英 · 紧急呼救", "waited": 20})
    operator, dispatcher = await login_as(Role.OPERATOR), await login_as(Role.DISPATCHER)
    [alert] = (await client.get("/api/v1/alerts", headers=operator)).json()
    assert (await client.post(f"/api/v1/alerts/{alert['id']}/close", headers=operator,
                              json={})).status_code == 403
    assert (await client.get("/api/v1/alerts", headers=dispatcher)).status_code == 403
    assert (await client.post("/api/v1/alerts/99/seen",
                              headers=await login_as(Role.SUPERVISOR))).status_code == 404
