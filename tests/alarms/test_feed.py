"""The rules feed over stored device messages: events ahead of readings, readings in bulk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import event, func, insert, select

from accounts.roles import Role
from alarms import engine, feed, service
from alarms.kinds import Disposition
from alarms.models import Alarm, RuleCursor
from alarms.rules import Observation
from devices.models import Device, DeviceReading, StoredDeviceEvent
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs


async def _watch(runtime: Runtime, senior_id: int, device_id: str = "watch-1",
                 kind: str = "wearable") -> None:
    async with runtime.sessions() as session:
        session.add(Device(id=device_id, model="anxin-watch", kind=kind, senior_id=senior_id,
                           heartbeat_seconds=60, grace_seconds=120, state="active",
                           mqtt_password_hash="-", created_at=runtime.clock.now()))
        await session.commit()


async def _store_readings(runtime: Runtime, senior_id: int, values: list[tuple[str, float]],
                          device_id: str = "watch-1") -> None:
    """Readings as the ingest stores them, one second apart and after the device's last one
    (a device measures each moment once)."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        last = await session.scalar(select(func.max(DeviceReading.measured_at)).where(
            DeviceReading.device_id == device_id))
        start = max(now, last + timedelta(seconds=1)) if last else now
        rows = [{"device_id": device_id, "senior_id": senior_id, "metric": metric,
                 "value": value, "measured_at": start + timedelta(seconds=n),
                 "received_at": now, "seq": n} for n, (metric, value) in enumerate(values)]
        await session.execute(insert(DeviceReading), rows)
        await session.commit()


async def _store_sos(runtime: Runtime, senior_id: int, event_id: str) -> None:
    async with runtime.sessions() as session:
        session.add(StoredDeviceEvent(device_id="watch-1", event_id=event_id,
                                      senior_id=senior_id, type="sos",
                                      occurred_at=runtime.clock.now(),
                                      received_at=runtime.clock.now(), detail={}))
        await session.commit()


async def _alarms(runtime: Runtime) -> dict[str, Alarm]:
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Alarm))).scalars()
        return {alarm.kind: alarm for alarm in rows}


async def _cursor(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        cursor = await session.get(RuleCursor, feed.READINGS_CURSOR)
        return cursor.position if cursor else 0


async def test_an_sos_stored_behind_a_readings_backlog_is_handled_first(
        runtime: Runtime, senior_id: int) -> None:
    """An SOS stored after three batches of readings is raised by the first drain, while most
    of the readings are still waiting."""
    await _watch(runtime, senior_id)
    await _store_readings(runtime, senior_id, [("heart_rate", 70.0)] * (3 * feed.READINGS_BATCH))
    await _store_sos(runtime, senior_id, "sos-behind-backlog")

    await feed.drain_once(runtime)

    assert "sos" in await _alarms(runtime)
    assert await _cursor(runtime) <= feed.READINGS_BATCH
    while await feed.drain_once(runtime):
        pass
    async with runtime.sessions() as session:
        last = await session.scalar(select(func.max(DeviceReading.id)))
    assert await _cursor(runtime) == last


async def test_readings_of_one_batch_keep_their_order_for_hysteresis(
        runtime: Runtime, senior_id: int) -> None:
    """One batch holding a high heart rate, then normal ones, raises the alarm and clears its
    condition only after the readings that hysteresis asks for, in the order they were
    measured."""
    await _watch(runtime, senior_id)
    await _store_readings(runtime, senior_id, [("heart_rate", 150.0), ("heart_rate", 98.0)])
    await feed.drain_once(runtime)
    alarm = (await _alarms(runtime))["heart_rate"]
    assert alarm.priority == 1 and alarm.condition_active  # 98 is not back far enough

    await _store_readings(runtime, senior_id, [("heart_rate", 80.0)] * 3)
    await feed.drain_once(runtime)
    assert (await _alarms(runtime))["heart_rate"].condition_active is False


async def test_a_home_units_temperature_is_the_rooms(runtime: Runtime, senior_id: int,
                                                     clock: ManualClock) -> None:
    """The same metric name means the room's temperature on a home unit and the senior's on a
    watch: 8 °C from a home unit is a cold room, from a watch a sensor fault."""
    await _watch(runtime, senior_id, device_id="home-1", kind="home_unit")
    await _watch(runtime, senior_id, device_id="watch-1", kind="wearable")
    await _store_readings(runtime, senior_id, [("temperature", 8.0)], device_id="home-1")
    clock.advance(5)
    await _store_readings(runtime, senior_id, [("temperature", 8.0)], device_id="watch-1")
    await feed.drain_once(runtime)
    alarms = await _alarms(runtime)
    assert alarms["room_temperature"].details["room_temperature"] == 8.0
    assert alarms["sensor_fault"].details["metric"] == "body_temperature"


async def test_a_position_split_by_a_full_batch_is_kept_whole(
        runtime: Runtime, senior_id: int, client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """A watch's latitude landing at the end of a full batch waits for its longitude, so the
    position 2 km from home still raises the geofence alarm."""
    supervisor = await login_as(Role.SUPERVISOR)
    await client.put(f"/api/v1/alarms/profiles/{senior_id}", headers=supervisor,
                     json={"geofence_meters": 500})
    await _watch(runtime, senior_id)
    filler = [("heart_rate", 70.0)] * (feed.READINGS_BATCH - 1)
    await _store_readings(runtime, senior_id, filler)
    await _store_position(runtime, senior_id, (40.878, 111.67))

    await feed.drain_once(runtime)
    assert await _cursor(runtime) == feed.READINGS_BATCH - 1  # the latitude waits
    await feed.drain_once(runtime)
    assert (await _alarms(runtime))["geofence_exit"].priority == 2


async def _store_position(runtime: Runtime, senior_id: int, at: tuple[float, float]) -> None:
    moment = runtime.clock.now() + timedelta(hours=1)
    rows = [{"device_id": "watch-1", "senior_id": senior_id, "metric": metric, "value": value,
             "measured_at": moment, "received_at": moment, "seq": None}
            for metric, value in zip(("latitude", "longitude"), at, strict=True)]
    async with runtime.sessions() as session:
        await session.execute(insert(DeviceReading), rows)
        await session.commit()


async def test_the_cursor_is_stored_when_something_changes_or_the_backlog_is_done(
        runtime: Runtime, senior_id: int) -> None:
    """A full batch of normal readings is not written on its own; the first sight of a senior
    and the end of the backlog store the cursor, with the alarm a high reading raised."""
    await _watch(runtime, senior_id)
    await _store_readings(runtime, senior_id, [("heart_rate", 70.0)] * (3 * feed.READINGS_BATCH))
    await _store_readings(runtime, senior_id, [("heart_rate", 150.0)])
    progress = feed.ReadingsProgress()
    await feed.drain_readings(runtime, progress)  # the senior's first state: stored
    stored = await _cursor(runtime)
    assert stored == progress.position

    await feed.drain_readings(runtime, progress)  # a full batch that changes nothing
    assert await _cursor(runtime) == stored < progress.position

    while await feed.drain_readings(runtime, progress):
        pass
    async with runtime.sessions() as session:
        last = await session.scalar(select(func.max(DeviceReading.id)))
    assert await _cursor(runtime) == last
    assert "heart_rate" in await _alarms(runtime)


async def test_an_sos_after_the_alarm_was_resolved_meanwhile_opens_a_new_one(
        runtime: Runtime, senior_id: int, clock: ManualClock) -> None:
    """The rules hold the open alarms they loaded; if an operator resolves one before the
    repeat is written, the repeat opens a new alarm instead of counting on the closed one."""
    await _watch(runtime, senior_id)
    await _store_sos(runtime, senior_id, "sos-1")
    await feed.drain_events(runtime)
    first = (await _alarms(runtime))["sos"]
    sos = Observation(senior_id=senior_id, device_id="watch-1", at=clock.now(), event="sos",
                      event_id="sos-2")
    async with runtime.sessions() as rules:
        await engine.preload(rules, [senior_id])  # holds the open alarm
        async with runtime.sessions() as operator:
            await service.resolve(operator, alarm_id=first.id, by="op1", at=clock.now(),
                                  disposition=Disposition.GENUINE_HANDLED)
            await operator.commit()
        changes = await engine.apply(rules, sos, zone=ZoneInfo("Asia/Shanghai"))
        await rules.commit()
    assert [change.what for change in changes] == ["raised"]
    async with runtime.sessions() as session:
        alarms = (await session.execute(select(Alarm).order_by(Alarm.id))).scalars().all()
    assert [(alarm.state, alarm.count) for alarm in alarms] == [("resolved", 1), ("raised", 1)]


async def test_a_backlog_of_events_is_raised_a_slice_at_a_time(
        runtime: Runtime, senior_id: int) -> None:
    """A hundred events waiting when the feed starts (as an instance that took the feed over
    finds them) are raised over several transactions: the first SOS's alarm is committed
    before the rest are read."""
    await _watch(runtime, senior_id)
    for n in range(100):
        await _store_sos(runtime, senior_id, f"sos-{n}")
    first = await feed.drain_events(runtime)
    assert 0 < first < 100
    assert (await _alarms(runtime))["sos"].count == first
    async with runtime.sessions() as session:
        left = await session.scalar(select(func.count()).select_from(StoredDeviceEvent).where(
            StoredDeviceEvent.processed_at.is_(None)))
    assert left == 100 - first


async def test_a_readings_backlog_looks_at_the_events_outbox_only_when_woken(
        runtime: Runtime, senior_id: int) -> None:
    """Draining five batches of readings in less than the look interval looks at the events
    outbox once, not before every batch; a wake-up (an event stored) makes the next drain look
    first, and raise its SOS."""
    await _watch(runtime, senior_id)
    await _store_readings(runtime, senior_id, [("heart_rate", 70.0)] * (5 * feed.READINGS_BATCH))
    looks: list[str] = []

    def count_looks(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM device_events" in statement:
            looks.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count_looks)
    try:
        # Looks between batches no more often than once a minute: only the wake-up counts.
        events, progress = feed.EventsWatch(look_every=60), feed.ReadingsProgress()
        for _ in range(5):
            await feed.drain_once(runtime, progress, events)
        assert len(looks) == 1
        await _store_sos(runtime, senior_id, "sos-mid-backlog")
        events.wake.set()
        await feed.drain_once(runtime, progress, events)
        assert len(looks) == 2 and "sos" in await _alarms(runtime)
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count_looks)
