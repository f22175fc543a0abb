"""Recurring visits: orders made the evening before, batch-assigned, never twice."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select

from accounts.roles import Role
from dispatch import schedules
from dispatch.models import ServiceOrder
from dispatch.notify import FakeNotifier, LoggingSmsSender
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.dispatch.conftest import AddProvider
from tests.dispatch.steps import open_offers

Channels = tuple[FakeNotifier, LoggingSmsSender]
HOUR = 3600.0


async def schedule_orders(runtime: Runtime) -> list[ServiceOrder]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(ServiceOrder).where(ServiceOrder.source == "schedule").order_by(ServiceOrder.id)
        )
        return list(rows)


async def new_schedule(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/schedules", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_tomorrows_meal_is_ordered_and_offered_at_planning_time(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    login_as: LoginAs,
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """A daily 11:30 meal set up on Monday at 17:00 (Hohhot time): nothing for today (past),
    and at 18:00 Tuesday's order is made and offered; sweeping again makes no second order."""
    cook = await add_provider("食堂", services=["meals"])
    operator = await login_as(Role.OPERATOR)
    schedule = await new_schedule(
        client,
        operator,
        senior_id=senior_id,
        service="meals",
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        at="11:30",
        notes="少盐",
    )
    assert schedule["local_minute"] == 11 * 60 + 30
    await schedules.plan_visits(runtime)
    assert await schedule_orders(runtime) == []
    clock.advance(HOUR)  # 18:00 local
    await schedules.plan_visits(runtime)
    await schedules.plan_visits(runtime)
    made = await schedule_orders(runtime)
    assert len(made) == 1
    order = made[0]
    assert order.source_ref == f"schedule:{schedule['id']}:2026-01-06"
    assert order.service_at.isoformat() == "2026-01-06T03:30:00+00:00"
    assert order.urgency == "scheduled" and order.notes == "少盐"
    assert order.state == "offered"
    assert list(await open_offers(runtime, order.id)) == [cook]


async def test_a_weekly_visit_and_a_paused_schedule(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Wednesday cleaning is ordered on Tuesday evening, not before; a paused schedule makes
    nothing until resumed."""
    await add_provider("保洁")
    weekly = await new_schedule(
        client, dispatcher, senior_id=senior_id, service="cleaning", weekdays=[2], at="09:00"
    )
    paused = await new_schedule(
        client, dispatcher, senior_id=senior_id, service="meals", weekdays=[1], at="12:00"
    )
    response = await client.patch(
        f"/api/v1/schedules/{paused['id']}", json={"active": False}, headers=dispatcher
    )
    assert response.status_code == 200 and response.json()["active"] is False
    listed = await client.get(f"/api/v1/schedules?senior_id={senior_id}", headers=dispatcher)
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()] == [weekly["id"], paused["id"]]
    clock.advance(HOUR)  # Monday 18:00
    await schedules.plan_visits(runtime)
    assert await schedule_orders(runtime) == []
    clock.advance(24 * HOUR)  # Tuesday 18:00
    await schedules.plan_visits(runtime)
    made = await schedule_orders(runtime)
    assert [o.source_ref for o in made] == [f"schedule:{weekly['id']}:2026-01-07"]


async def test_two_sweeps_at_once_make_one_order_per_visit(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Sweeps racing each other (as two instances would) still make each visit's order once
    and offer it once."""
    await add_provider("食堂", services=["meals"], capacity=5)
    await new_schedule(
        client, dispatcher, senior_id=senior_id, service="meals", weekdays=[1], at="12:00"
    )
    clock.advance(HOUR)
    await asyncio.gather(*(schedules.plan_visits(runtime) for _ in range(3)))
    made = await schedule_orders(runtime)
    assert len(made) == 1 and made[0].state == "offered"
    assert made[0].offers_made == 1


async def test_bad_schedules_are_refused(
    client: httpx.AsyncClient,
    dispatcher: dict[str, str],
    login_as: LoginAs,
    senior_id: int,
) -> None:
    """A weekday out of range or twice, an unknown senior, or the wrong role: refused."""
    body = {"senior_id": senior_id, "service": "meals", "weekdays": [7], "at": "12:00"}
    out_of_range = await client.post("/api/v1/schedules", json=body, headers=dispatcher)
    assert out_of_range.status_code == 422 and "weekdays" in out_of_range.json()["detail"]
    twice = await client.post(
        "/api/v1/schedules", json=body | {"weekdays": [1, 1]}, headers=dispatcher
    )
    assert twice.status_code == 422 and "twice" in twice.json()["detail"]
    nobody = await client.post(
        "/api/v1/schedules", json=body | {"weekdays": [1], "senior_id": 999}, headers=dispatcher
    )
    assert nobody.status_code == 404
    staff = await login_as(Role.SUBSIDY_STAFF)
    forbidden = await client.post("/api/v1/schedules", json=body | {"weekdays": [1]}, headers=staff)
    assert forbidden.status_code == 403
    missing = await client.patch(
        "/api/v1/schedules/999", json={"active": False}, headers=dispatcher
    )
    assert missing.status_code == 404


async def test_a_schedule_runs_between_its_dates_and_skips_holidays(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    dispatcher: dict[str, str],
    login_as: LoginAs,
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """A daily meal with Tuesday skipped and ending on Wednesday makes only Wednesday's order;
    made open-ended again, it carries on from Friday."""
    await add_provider("食堂", services=["meals"], capacity=5)
    meal = await new_schedule(
        client, dispatcher, senior_id=senior_id, service="meals", weekdays=list(range(7)),
        at="11:30", ends_on="2026-01-07", skip_dates=["2026-01-06"],
    )
    assert (meal["ends_on"], meal["skip_dates"]) == ("2026-01-07", ["2026-01-06"])
    for _ in range(3):  # the evenings of Monday, Tuesday and Wednesday
        clock.advance(HOUR if _ == 0 else 24 * HOUR)
        await schedules.plan_visits(runtime)
    made = [o.source_ref for o in await schedule_orders(runtime)]
    assert made == [f"schedule:{meal['id']}:2026-01-07"]
    reopened = await client.patch(  # days later: a fresh login
        f"/api/v1/schedules/{meal['id']}", json={"ends_on": None},
        headers=await login_as(Role.DISPATCHER),
    )
    assert reopened.status_code == 200 and reopened.json()["ends_on"] is None
    clock.advance(24 * HOUR)  # Thursday 18:00
    await schedules.plan_visits(runtime)
    made = [o.source_ref for o in await schedule_orders(runtime)]
    assert made[-1] == f"schedule:{meal['id']}:2026-01-09"


async def test_dates_that_end_before_they_start_are_refused(
    client: httpx.AsyncClient, dispatcher: dict[str, str], senior_id: int
) -> None:
    body = {"senior_id": senior_id, "service": "meals", "weekdays": [1], "at": "12:00",
            "starts_on": "2026-02-01", "ends_on": "2026-01-31"}
    refused = await client.post("/api/v1/schedules", json=body, headers=dispatcher)
    assert refused.status_code == 422 and "before starts_on" in refused.json()["detail"]
    made = await new_schedule(client, dispatcher, **(body | {"ends_on": None}))
    changed = await client.patch(
        f"/api/v1/schedules/{made['id']}", json={"ends_on": "2026-01-01"}, headers=dispatcher
    )
    assert changed.status_code == 422 and "before starts_on" in changed.json()["detail"]
    listed = await client.get(f"/api/v1/schedules?senior_id={senior_id}", headers=dispatcher)
    assert listed.json()[0]["ends_on"] is None
