"""Feeding the rules engine from what the devices stored.

Device events are an outbox (``processed_at``); readings are read past a cursor. Both are
marked done in the same transaction as the alarm changes they cause, so a crash repeats the
work and never loses it. Events go first, in their own transaction, so an SOS never waits
behind a readings backlog for more than the batch in progress.

The loop wakes at once when new events are stored: through the bus when the ingest runs on the
app's loop (and, on PostgreSQL, when any process's ingest logs ``device.event``), through the
ingest's after-commit notices (``devices.notices``) when it runs in another process. It looks
at the events outbox when woken, after a full slice, between readings batches at most every
50 ms, and when idle twice a second; not before every readings batch, as it did: on PostgreSQL
each look is a transaction of its own, and under a readings backlog those empty looks were most
of the feed's statements. A wake-up only saves time; the outbox and the cursor say what is left
to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.audiences import audience
from alarms import engine, flows
from alarms.engine import Change
from alarms.models import RuleCursor
from alarms.rules import LOCATION_METRICS, METRIC_BY_DEVICE_KIND, Observation
from devices import notices
from devices import service as devices_service
from devices.events import DEVICE_EVENT
from devices.lifespan import devices_of
from runtime.bus import SubscriberOverflow
from runtime.context import Runtime

READINGS_CURSOR = "device_readings"
# A slice, not the whole backlog: the SOS a survivor finds waiting after a takeover (a hundred
# in the cluster bench) are committed and offered 50 at a time, so the first reaches the desk
# after 50 alarms' work rather than after all of them (docs/benchmarks.md, cluster).
EVENTS_BATCH = 50
# Small enough that an event arriving meanwhile waits only a few milliseconds for the batch.
READINGS_BATCH = 200
IDLE_WAIT_SECONDS = 0.5
# Under a readings backlog, a look at the events outbox between batches at most this often:
# before every batch (20+ a second at 2,000 msg/s) most looks were empty transactions.
BUSY_LOOK_SECONDS = 0.05
FEED_HEALTH = "feed.health"


async def _event_observations(session: AsyncSession) -> tuple[list[int], list[Observation]]:
    ids: list[int] = []
    observations: list[Observation] = []
    for row_id, senior_id, event in await devices_service.unprocessed_events(session,
                                                                             limit=EVENTS_BATCH):
        ids.append(row_id)
        if senior_id is not None:
            observations.append(Observation(senior_id=senior_id, device_id=event.device_id,
                                            at=event.occurred_at, event=event.type,
                                            event_id=event.event_id,
                                            location=_event_location(event.detail)))
    return ids, observations


def _event_location(detail: dict[str, object]) -> tuple[float, float] | None:
    """Where the event happened, when the device sent its position with it (a watch's AL)."""
    latitude, longitude = detail.get("latitude"), detail.get("longitude")
    if isinstance(latitude, int | float) and isinstance(longitude, int | float):
        return float(latitude), float(longitude)
    return None


async def _reading_observations(session: AsyncSession, after: int
                                ) -> tuple[int, bool, list[Observation]]:
    """Readings past ``after``, grouped per device and moment: (the last id read, whether the
    batch was full, the observations)."""
    rows = await devices_service.readings_after(session, after=after, limit=READINGS_BATCH)
    full = len(rows) == READINGS_BATCH
    if full:
        rows = rows[:_whole_messages([(row.device_id, row.measured_at) for row in rows])]
    grouped: dict[tuple[str, datetime, int], dict[str, float]] = defaultdict(dict)
    for _, device_id, senior_id, metric, value, measured_at, kind in rows:
        if senior_id is not None:
            metric = METRIC_BY_DEVICE_KIND.get((kind, metric), metric)
            grouped[(device_id, measured_at, senior_id)][metric] = value
    observations = []
    for (device_id, at, senior_id), values in grouped.items():
        location = None
        if all(name in values for name in LOCATION_METRICS):
            location = (values.pop("latitude"), values.pop("longitude"))
        observations.append(Observation(senior_id=senior_id, device_id=device_id, at=at,
                                        readings=values, location=location))
    return (rows[-1].id if rows else after), full, observations


def _whole_messages(messages: list[tuple[str, datetime]]) -> int:
    """How many rows of a full batch to take: it may end inside one message (its latitude
    without its longitude), so leave that message for the next batch unless it is all there
    is. ``messages`` holds each row's (device, measured at)."""
    cut = len(messages)
    while cut and messages[cut - 1] == messages[-1]:
        cut -= 1
    return cut or len(messages)


async def _apply_all(runtime: Runtime, session: AsyncSession,
                     observations: list[Observation]) -> list[Change]:
    return await engine.apply_all(session, observations, zone=ZoneInfo(runtime.settings.timezone))


async def drain_events(runtime: Runtime) -> int:
    """Run the rules over one batch of device events (SOS, falls, doors); returns how many."""
    async with runtime.sessions() as session:
        event_ids, observations = await _event_observations(session)
        if not event_ids:
            return 0
        changes = await _apply_all(runtime, session, observations)
        await devices_service.mark_events_processed(session, ids=event_ids,
                                                    now=runtime.clock.now())
        rows = await flows.rows_of(session, changes)
        await session.commit()
    flows.publish_changes(runtime, changes, rows)
    return len(event_ids)


@dataclass
class ReadingsProgress:
    """How far the feed has read the readings, ahead of the stored cursor.

    Most batches change nothing (every value normal, no streak moved); storing the cursor for
    each would be a write transaction per batch, contending with the ingest for SQLite's one
    writer. Such a batch is safe to read again after a crash, since it changes nothing then
    either; so the cursor is stored with every batch that changes something, when the backlog
    is done, and at least every ``STORE_EVERY`` batches."""

    position: int = 0
    unstored_batches: int = 0
    STORE_EVERY: ClassVar[int] = 10


async def drain_readings(runtime: Runtime, progress: ReadingsProgress | None = None) -> int:
    """Run the rules over one batch of readings past the cursor; returns how many were read.
    Without ``progress`` the cursor is stored after every batch."""
    progress = progress or ReadingsProgress(unstored_batches=ReadingsProgress.STORE_EVERY)
    async with runtime.sessions() as session:
        cursor = await session.get(RuleCursor, READINGS_CURSOR) or RuleCursor(
            name=READINGS_CURSOR, position=0)
        start = max(cursor.position, progress.position)
        end, full, observations = await _reading_observations(session, start)
        if end == start:
            return 0
        changes = await _apply_all(runtime, session, observations)
        progress.position = end
        progress.unstored_batches += 1
        if not (changes or session.new or session.dirty or not full
                or progress.unstored_batches >= ReadingsProgress.STORE_EVERY):
            return end - start  # nothing to write: the session closes without a transaction
        cursor.position = end
        session.add(cursor)
        rows = await flows.rows_of(session, changes)
        await session.commit()
    progress.unstored_batches = 0
    flows.publish_changes(runtime, changes, rows)
    return end - start


@dataclass
class EventsWatch:
    """When the feed looks at the events outbox: when ``wake`` is set (an event was stored),
    while the last slice was full (more are waiting), between readings batches at most every
    ``look_every`` seconds (an SOS need not wait for its wake-up's trip through the broker),
    and when idle at least every ``IDLE_WAIT_SECONDS`` (a lost wake-up costs at most that)."""

    wake: asyncio.Event = field(default_factory=asyncio.Event)
    more: bool = True
    looked_at: float = -math.inf
    look_every: float = BUSY_LOOK_SECONDS

    def until_due(self) -> float:
        """Seconds until the next look is due without a wake-up."""
        return max(0.0, self.looked_at + IDLE_WAIT_SECONDS - time.monotonic())

    def due(self) -> bool:
        """Whether to look now; a look clears the wake-up it answers."""
        now = time.monotonic()
        if not (self.wake.is_set() or self.more or now - self.looked_at >= self.look_every):
            return False
        self.wake.clear()
        self.looked_at = now
        return True


async def drain_once(runtime: Runtime, progress: ReadingsProgress | None = None,
                     events: EventsWatch | None = None) -> int:
    """Events first, in their own transaction, so an SOS never waits behind a readings backlog
    (with ``events``, only when it says they are due); then one batch of readings. Returns how
    many messages were read."""
    handled = 0
    if events is None or events.due():
        handled = await drain_events(runtime)
        if events is not None:
            events.more = handled >= EVENTS_BATCH
    return handled + await drain_readings(runtime, progress)


async def feed_loop(runtime: Runtime) -> None:
    """Keep the rules engine up to date with the devices' stored messages."""
    events = EventsWatch()
    async with asyncio.TaskGroup() as group:
        group.create_task(_wake_on_bus(runtime, events.wake), name="rules-feed-bus")
        if _ingest_elsewhere(runtime) and runtime.settings.mqtt_enabled:
            group.create_task(notices.watch_stored(
                devices_of(runtime).address, client_id=f"anxin-rules-feed-{secrets.token_hex(4)}",
                wake=events.wake.set), name="rules-feed-notices")
        progress = ReadingsProgress()
        while True:
            try:
                while await drain_once(runtime, progress, events):
                    pass
            except Exception as error:  # the supervisor restarts the loop; a person is told
                runtime.bus.publish(FEED_HEALTH, {
                    "consuming": False, "reason": f"{type(error).__name__}: {error}"[:200]},
                    roles=audience(FEED_HEALTH))
                raise
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(events.until_due()):
                    await events.wake.wait()


def _ingest_elsewhere(runtime: Runtime) -> bool:
    """Whether device messages are stored by another process than this loop's."""
    settings = runtime.settings
    return not settings.mqtt_ingest_in_app or settings.mqtt_ingest_processes > 0


async def _wake_on_bus(runtime: Runtime, wake: asyncio.Event) -> None:
    """Wake the feed for every device event stored by an ingest on this loop."""
    while True:
        async with runtime.bus.subscribe() as subscription:
            with contextlib.suppress(SubscriberOverflow):  # fell behind: subscribe afresh
                while True:
                    if (await subscription.next()).topic == DEVICE_EVENT:
                        wake.set()
        wake.set()
