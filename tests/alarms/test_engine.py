"""The rules engine with a moved clock: events, vitals, inactivity, wandering, correlation."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from accounts.roles import Role
from alarms import flows
from alarms.models import Alarm
from alarms.rules import Observation
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs

# 09:00 UTC is 17:00 in Hohhot (day); 15:00 UTC is 23:00 (night).
DAY = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
NIGHT = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


async def open_alarms(runtime: Runtime) -> dict[str, Alarm]:
    async with runtime.sessions() as session:
        rows = await session.execute(select(Alarm).where(Alarm.state != "resolved"))
        return {alarm.kind: alarm for alarm in rows.scalars()}


def observe(senior_id: int, at: datetime, event: str | None = None, **readings: float,
            ) -> Observation:
    return Observation(senior_id=senior_id, device_id="dev-1", at=at, event=event,
                       readings=readings)


async def test_sos_event_raises_p1_and_repeats_count(runtime: Runtime, senior_id: int,
                                                     clock: ManualClock) -> None:
    """A red-key press opens a P1 SOS; a second press counts on the same alarm."""
    changes = await flows.process_observations(runtime, [observe(senior_id, clock.now(), "sos")])
    assert [c.what for c in changes] == ["raised"]
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), "red_key")])
    sos = (await open_alarms(runtime))["sos"]
    assert sos.priority == 1 and sos.count == 2 and sos.voice_path is False


async def test_vitals_warning_then_critical_then_clear(runtime: Runtime, senior_id: int,
                                                       clock: ManualClock) -> None:
    """HR 125 opens a P3; 150 raises it to P1; a 0 is a sensor fault; three normals clear it."""
    for value in (125, 150):
        await flows.process_observations(runtime, [observe(senior_id, clock.now(),
                                                           heart_rate=value)])
    alarms = await open_alarms(runtime)
    assert alarms["heart_rate"].priority == 1
    assert alarms["heart_rate"].details["band"] == "critical"
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), heart_rate=0)])
    alarms = await open_alarms(runtime)
    assert "sensor fault" in str(alarms["sensor_fault"].details["reason"])
    assert alarms["heart_rate"].condition_active
    for value in (80, 82, 79):
        await flows.process_observations(runtime, [observe(senior_id, clock.now(),
                                                           heart_rate=value)])
    alarms = await open_alarms(runtime)
    assert alarms["heart_rate"].condition_active is False
    assert alarms["heart_rate"].state == "raised"


async def test_senior_profile_overrides_heart_rate_limits(
    runtime: Runtime, senior_id: int, clock: ManualClock, client: httpx.AsyncClient,
    login_as: LoginAs,
) -> None:
    """With a supervisor-set profile, this senior's resting 48 bpm raises nothing."""
    supervisor = await login_as(Role.SUPERVISOR)
    body = {"vital_overrides": {"heart_rate": {"critical_low": 40, "warning_low": 44,
                                               "clear_low": 44}}}
    response = await client.put(f"/api/v1/alarms/profiles/{senior_id}", json=body,
                                headers=supervisor)
    assert response.status_code == 200, response.text
    bad = await client.put(f"/api/v1/alarms/profiles/{senior_id}", headers=supervisor,
                           json={"vital_overrides": {"pulse": {}}})
    assert bad.status_code == 422 and "vital_overrides" in bad.json()["detail"]
    operator = await login_as(Role.OPERATOR)
    assert (await client.put(f"/api/v1/alarms/profiles/{senior_id}", json=body,
                             headers=operator)).status_code == 403
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), heart_rate=48)])
    assert "heart_rate" not in await open_alarms(runtime)


async def test_night_door_with_empty_bed_is_wandering(runtime: Runtime, senior_id: int) -> None:
    """At 23:00 a door opening after the bed emptied is P2 wandering; by day it is nothing."""
    await flows.process_observations(runtime, [observe(senior_id, DAY, "bed_empty"),
                                               observe(senior_id, DAY, "door_open")])
    assert "night_wandering" not in await open_alarms(runtime)
    await flows.process_observations(runtime, [observe(senior_id, NIGHT, "bed_occupied"),
                                               observe(senior_id, NIGHT, "door_open")])
    assert "night_wandering" not in await open_alarms(runtime)
    await flows.process_observations(runtime, [observe(senior_id, NIGHT, "bed_empty"),
                                               observe(senior_id, NIGHT, "door_open")])
    assert (await open_alarms(runtime))["night_wandering"].priority == 2


async def test_inactivity_by_day_and_not_in_sleep(runtime: Runtime, senior_id: int,
                                                  clock: ManualClock) -> None:
    """No motion for 4 h by day raises P2; movement clears it; sleep hours do not count."""
    clock.current = DAY  # 09:00 local
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), "motion")])
    clock.advance(3.9 * 3600)
    await flows.check_time_rules_once(runtime)
    assert "inactivity" not in await open_alarms(runtime)
    clock.advance(0.2 * 3600)
    await flows.check_time_rules_once(runtime)
    inactivity = (await open_alarms(runtime))["inactivity"]
    assert inactivity.priority == 2
    await flows.check_time_rules_once(runtime)
    assert (await open_alarms(runtime))["inactivity"].count == 1
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), "motion")])
    assert (await open_alarms(runtime))["inactivity"].condition_active is False


async def test_still_overnight_is_counted_from_the_morning(runtime: Runtime, senior_id: int,
                                                           clock: ManualClock) -> None:
    """Last motion at 21:00; at 08:00 only one hour of the day has passed: no alarm."""
    clock.current = datetime(2026, 1, 5, 13, 0, tzinfo=UTC)  # 21:00 local
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), "motion")])
    clock.current = datetime(2026, 1, 6, 0, 0, tzinfo=UTC)  # 08:00 local
    await flows.check_time_rules_once(runtime)
    assert "inactivity" not in await open_alarms(runtime)
    clock.current = datetime(2026, 1, 6, 3, 1, tzinfo=UTC)  # 11:01 local
    await flows.check_time_rules_once(runtime)
    assert "inactivity" in await open_alarms(runtime)


async def test_fall_then_stillness_is_confirmed(runtime: Runtime, senior_id: int,
                                                clock: ManualClock) -> None:
    """A fall with no movement for 2 min is marked confirmed and re-alerts."""
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), "fall")])
    clock.advance(60)
    await flows.check_time_rules_once(runtime)
    assert "confirmed" not in (await open_alarms(runtime))["fall"].details
    clock.advance(61)
    await flows.check_time_rules_once(runtime)
    assert "confirmed" in (await open_alarms(runtime))["fall"].details


async def test_fall_then_movement_is_not_confirmed(runtime: Runtime, senior_id: int,
                                                   clock: ManualClock) -> None:
    """A fall followed by motion within 2 min stays unconfirmed."""
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), "fall")])
    clock.advance(30)
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), "motion")])
    clock.advance(120)
    await flows.check_time_rules_once(runtime)
    assert "confirmed" not in (await open_alarms(runtime))["fall"].details


async def test_sos_confirms_an_open_inactivity_alarm(runtime: Runtime, senior_id: int,
                                                     clock: ManualClock) -> None:
    """An SOS while an inactivity alarm is open raises that alarm to P1."""
    clock.current = DAY
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), "motion")])
    clock.advance(5 * 3600)
    await flows.check_time_rules_once(runtime)
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), "sos")])
    assert (await open_alarms(runtime))["inactivity"].priority == 1


async def test_low_battery_opens_and_clears(runtime: Runtime, senior_id: int,
                                            clock: ManualClock) -> None:
    """Battery 15 % opens a P4; 35 % clears the condition."""
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), battery=15)])
    assert (await open_alarms(runtime))["low_battery"].priority == 4
    await flows.process_observations(runtime, [observe(senior_id, clock.now(), battery=35)])
    assert (await open_alarms(runtime))["low_battery"].condition_active is False


async def test_geofence_exit_for_seniors_with_a_fence(runtime: Runtime, senior_id: int,
                                                      clock: ManualClock,
                                                      client: httpx.AsyncClient,
                                                      login_as: LoginAs) -> None:
    """2 km from home with a 500 m fence raises P2; seniors without a fence raise nothing."""
    far = Observation(senior_id=senior_id, device_id="watch", at=clock.now(),
                      location=(40.878, 111.67))
    await flows.process_observations(runtime, [far])
    assert "geofence_exit" not in await open_alarms(runtime)
    supervisor = await login_as(Role.SUPERVISOR)
    await client.put(f"/api/v1/alarms/profiles/{senior_id}", headers=supervisor,
                     json={"geofence_meters": 500})
    await flows.process_observations(runtime, [far])
    alarm = (await open_alarms(runtime))["geofence_exit"]
    assert alarm.priority == 2 and 1900 < int(str(alarm.details["meters_from_home"])) < 2100


async def test_pendant_left_in_a_drawer_is_flagged(runtime: Runtime, senior_id: int,
                                                   clock: ManualClock) -> None:
    """A pendant with no event for 30 days raises P4 pendant_unused; a press clears it."""
    from devices import service as devices_service
    from devices.models import StoredDeviceEvent

    async with runtime.sessions() as session:
        await devices_service.provision_device(session, model_id="anxin-pendant",
                                               senior_id=senior_id, location="", now=clock.now(),
                                               device_id="pendant-drawer")
        await session.commit()
    clock.advance(29 * 86400)
    await flows.check_time_rules_once(runtime)
    assert "pendant_unused" not in await open_alarms(runtime)
    clock.advance(2 * 86400)
    await flows.check_time_rules_once(runtime)
    unused = (await open_alarms(runtime))["pendant_unused"]
    assert unused.priority == 4 and unused.details["idle_days"] == 31
    await flows.check_time_rules_once(runtime)
    assert (await open_alarms(runtime))["pendant_unused"].count == 1
    async with runtime.sessions() as session:
        session.add(StoredDeviceEvent(device_id="pendant-drawer", event_id="press-1",
                                      senior_id=senior_id, type="sos", occurred_at=clock.now(),
                                      received_at=clock.now(), detail={}))
        await session.commit()
    await flows.check_time_rules_once(runtime)
    assert (await open_alarms(runtime))["pendant_unused"].condition_active is False
