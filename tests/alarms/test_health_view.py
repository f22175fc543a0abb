"""The health view: a senior's vitals over a day, with their own limits; in a real browser too."""

from __future__ import annotations

from datetime import timedelta

import httpx

from accounts.roles import Role
from devices import service as devices_service
from devices.models import DeviceReading
from runtime.context import Runtime
from tests.conftest import LoginAs


async def add_watch_readings(runtime: Runtime, senior_id: int, hours: int = 30) -> None:
    """A watch reporting heart rate and temperature every hour."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        await devices_service.provision_device(session, model_id="anxin-watch",
                                               senior_id=senior_id, location="", now=now,
                                               device_id=f"watch-{senior_id}")
        for hour in range(hours):
            at = now - timedelta(hours=hour)
            for metric, value in (("heart_rate", 70 + hour % 5), ("temperature", 36.5)):
                session.add(DeviceReading(device_id=f"watch-{senior_id}", senior_id=senior_id,
                                          metric=metric, value=value, measured_at=at,
                                          received_at=at))
        await session.commit()


async def test_vitals_for_a_day_with_own_limits(client: httpx.AsyncClient, login_as: LoginAs,
                                               runtime: Runtime, senior_id: int) -> None:
    """A day (both ends included) shows 25 hourly points, body temperature named, own limits."""
    await add_watch_readings(runtime, senior_id)
    supervisor = await login_as(Role.SUPERVISOR)
    await client.put(f"/api/v1/alarms/profiles/{senior_id}", headers=supervisor,
                     json={"vital_overrides": {"heart_rate": {"warning_low": 45}}})
    operator = await login_as(Role.OPERATOR)
    view = (await client.get(f"/api/v1/health/{senior_id}/vitals", params={"days": 1},
                             headers=operator)).json()
    series = {s["metric"]: s for s in view["series"]}
    assert len(series["heart_rate"]["points"]) == 25
    assert len(series["body_temperature"]["points"]) == 25
    assert series["heart_rate"]["limits"]["warning_low"] == 45
    assert series["heart_rate"]["limits"]["critical_high"] == 140
    week = (await client.get(f"/api/v1/health/{senior_id}/vitals", params={"days": 7},
                             headers=operator)).json()
    assert len({s["metric"]: s for s in week["series"]}["heart_rate"]["points"]) == 30
    assert (await client.get(f"/api/v1/health/{senior_id}/vitals", params={"days": 99},
                             headers=operator)).status_code == 422
    dispatcher = await login_as(Role.DISPATCHER)
    assert (await client.get(f"/api/v1/health/{senior_id}/vitals",
                             headers=dispatcher)).status_code == 403
