"""The health view: a senior's vitals over a day, with their own limits; in a real browser too."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx

from accounts.roles import Role
from devices import service as devices_service
from devices.models import DeviceReading
from retention import flows
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
    assert (await client.get(f"/api/v1/health/{senior_id}/vitals", params={"days": 367},
                             headers=operator)).status_code == 422
    dispatcher = await login_as(Role.DISPATCHER)
    assert (await client.get(f"/api/v1/health/{senior_id}/vitals",
                             headers=dispatcher)).status_code == 403


async def test_long_spans_read_rollups_beyond_the_raw_window(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int) -> None:
    """31 days: hourly roll-ups then raw, one point an hour; 60 days: daily means first."""
    await add_watch_readings(runtime, senior_id, hours=24 * 70)
    policy = replace(flows.RetentionPolicy.from_settings(runtime.settings), pause_factor=0)
    while (await flows.retention_pass(runtime.sessions, policy=policy,
                                      clock=runtime.clock)).hours_rolled:
        pass
    operator = await login_as(Role.OPERATOR)
    month = (await client.get(f"/api/v1/health/{senior_id}/vitals", params={"days": 31},
                              headers=operator)).json()
    assert month["resolutions"] == ["hour", "raw"]
    heart = {s["metric"]: s for s in month["series"]}["heart_rate"]["points"]
    assert abs(len(heart) - 31 * 24) <= 1
    times = [at for at, _ in heart]
    assert times == sorted(times) and len(set(times)) == len(times)
    longer = (await client.get(f"/api/v1/health/{senior_id}/vitals", params={"days": 60},
                               headers=operator)).json()
    assert longer["resolutions"] == ["day", "hour", "raw"]
    daily = {s["metric"]: s for s in longer["series"]}["body_temperature"]["points"]
    assert 59 <= len(daily) <= 60 + 24 and all(value == 36.5 for _, value in daily)
