"""Feeding the rules engine from what the devices stored.

Device events are an outbox (``processed_at``); readings are read past a cursor. Both are
marked done in the same transaction as the alarm changes they cause, so a crash repeats the
work and never loses it. The loop wakes at once on a ``device.event`` and otherwise looks twice
a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alarms import engine, flows
from alarms.engine import Change
from alarms.models import RuleCursor
from alarms.rules import LOCATION_METRICS, METRIC_BY_DEVICE_KIND, Observation
from devices import service as devices_service
from devices.events import DEVICE_EVENT
from devices.models import Device, DeviceReading
from runtime.bus import SubscriberOverflow, Subscription
from runtime.context import Runtime

READINGS_CURSOR = "device_readings"
BATCH = 500
IDLE_WAIT_SECONDS = 0.5


async def _event_observations(session: AsyncSession) -> tuple[list[int], list[Observation]]:
    ids: list[int] = []
    observations: list[Observation] = []
    for row_id, senior_id, event in await devices_service.unprocessed_events(session,
                                                                             limit=BATCH):
        ids.append(row_id)
        if senior_id is not None:
            observations.append(Observation(senior_id=senior_id, device_id=event.device_id,
                                            at=event.occurred_at, event=event.type,
                                            event_id=event.event_id))
    return ids, observations


async def _reading_observations(session: AsyncSession, cursor: RuleCursor
                                ) -> list[Observation]:
    """Readings past the cursor, grouped per device and moment; the cursor moves past them."""
    rows = (await session.execute(
        select(DeviceReading, Device.kind).join(Device, Device.id == DeviceReading.device_id)
        .where(DeviceReading.id > cursor.position).order_by(DeviceReading.id).limit(BATCH)
    )).all()
    grouped: dict[tuple[str, datetime, int], dict[str, float]] = defaultdict(dict)
    for reading, kind in rows:
        cursor.position = max(cursor.position, reading.id)
        if reading.senior_id is None:
            continue
        metric = METRIC_BY_DEVICE_KIND.get((kind, reading.metric), reading.metric)
        grouped[(reading.device_id, reading.measured_at, reading.senior_id)][metric] = \
            reading.value
    observations = []
    for (device_id, at, senior_id), values in grouped.items():
        location = None
        if all(name in values for name in LOCATION_METRICS):
            location = (values.pop("latitude"), values.pop("longitude"))
        observations.append(Observation(senior_id=senior_id, device_id=device_id, at=at,
                                        readings=values, location=location))
    return observations


async def _apply_all(runtime: Runtime, session: AsyncSession,
                     observations: list[Observation]) -> list[Change]:
    zone = ZoneInfo(runtime.settings.timezone)
    changes: list[Change] = []
    for observation in sorted(observations, key=lambda o: o.at):
        changes += await engine.apply(session, observation, zone=zone)
    return changes


async def drain_events(runtime: Runtime) -> int:
    """Run the rules over one batch of device events (SOS, falls, doors); returns how many."""
    async with runtime.sessions() as session:
        event_ids, observations = await _event_observations(session)
        if not event_ids:
            return 0
        changes = await _apply_all(runtime, session, observations)
        await devices_service.mark_events_processed(session, ids=event_ids,
                                                    now=runtime.clock.now())
        names = await flows.names_of(session, changes)
        await session.commit()
    flows.publish_changes(runtime, changes, names)
    return len(event_ids)


async def drain_readings(runtime: Runtime) -> int:
    """Run the rules over one batch of readings past the cursor; returns how many were read."""
    async with runtime.sessions() as session:
        cursor = await session.get(RuleCursor, READINGS_CURSOR) or RuleCursor(
            name=READINGS_CURSOR, position=0)
        start = cursor.position
        changes = await _apply_all(runtime, session,
                                   await _reading_observations(session, cursor))
        if cursor.position == start:
            return 0
        session.add(cursor)
        names = await flows.names_of(session, changes)
        await session.commit()
    flows.publish_changes(runtime, changes, names)
    return cursor.position - start


async def drain_once(runtime: Runtime) -> int:
    """Events first, in their own transaction, so an SOS never waits behind a readings backlog;
    then one batch of readings. Returns how many messages were read."""
    return await drain_events(runtime) + await drain_readings(runtime)


async def feed_loop(runtime: Runtime) -> None:
    """Keep the rules engine up to date with the devices' stored messages."""
    while True:
        async with runtime.bus.subscribe() as subscription:
            with contextlib.suppress(SubscriberOverflow):  # fell behind: subscribe afresh
                while True:
                    while await drain_once(runtime):
                        pass
                    await _next_device_event(subscription)


async def _next_device_event(subscription: Subscription) -> None:
    """Wait for a device event, or half a second, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(IDLE_WAIT_SECONDS):
            while (await subscription.next()).topic != DEVICE_EVENT:
                pass
