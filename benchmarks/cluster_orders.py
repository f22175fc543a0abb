"""Service orders for ``anxin bench cluster`` whose offers expire across the kill.

Nobody answers an offer in the bench, so each order's offer-expiry timers fire one after the
other (``--offer-seconds`` apart) until its offers run out and it escalates: timers fall due
before, during and after the lease holder's death, and the survivor must fire each of those A
left exactly once. The providers work all day over an area that covers every seeded senior.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from sqlalchemy import func, select

from dispatch.models import DispatchTimer
from storage.engine import create_engine, create_sessionmaker

DISPATCHER = "disp-bench"
PROVIDERS = 8
# Hohhot's centre; the demo seniors live within about 20 km of it.
AREA = (40.84, 111.75)


async def add_providers(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for n in range(PROVIDERS):
        created = await http.post("/api/v1/providers", headers=headers, json={
            "name": f"bench-provider-{n}", "services": ["cleaning"],
            "area_latitude": AREA[0], "area_longitude": AREA[1], "area_radius_km": 100,
            "latitude": AREA[0] + 0.01 * n, "longitude": AREA[1],
            "work_start_minute": 0, "work_end_minute": 0, "capacity": 50})
        created.raise_for_status()


async def place_orders(http: httpx.AsyncClient, headers: dict[str, str],
                       seniors: list[int]) -> int:
    """One same-day cleaning order per senior, each offered at once; how many were placed."""
    for senior_id in seniors:
        placed = await http.post("/api/v1/orders", headers=headers, json={
            "senior_id": senior_id, "service": "cleaning", "urgency": "same_day"})
        placed.raise_for_status()
    return len(seniors)


async def login(http: httpx.AsyncClient, password: str) -> dict[str, str]:
    answer = await http.post("/api/v1/auth/login",
                             json={"username": DISPATCHER, "password": password})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def until_timers_fired(database_url: str, within: float = 90.0) -> int:
    """Until no offer-expiry timer is left unfired (every order ran out of offers), or
    ``within`` s; how many are left."""
    deadline = time.monotonic() + within
    engine = create_engine(database_url)
    try:
        while True:
            async with create_sessionmaker(engine)() as session:
                left = int(await session.scalar(select(func.count()).select_from(
                    DispatchTimer).where(DispatchTimer.kind == "offer_expiry",
                                         DispatchTimer.fired_at.is_(None))) or 0)
            if not left or time.monotonic() >= deadline:
                return left
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()
