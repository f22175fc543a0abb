"""Fuzzing the ingest with hypothesis: it never raises, bad input is dead-lettered, good stored."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from devices import service
from devices.consumer import Delivery
from devices.ingest import BrokerAddress, Ingest
from devices.models import DeadLetter, Device, StoredDeviceEvent
from runtime.context import Runtime

TOPICS = st.sampled_from([
    "anxin/v1/devices/watch-f/telemetry", "anxin/v1/devices/watch-f/event",
    "anxin/v1/devices/watch-f/status", "anxin/v1/devices/nobody/event",
    "anxin/v1/devices/watch-f/ack", "anxin/v2/devices/watch-f/event", "x",
])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)
NEAR_MISSES = st.fixed_dictionaries({}, optional={
    "event_id": st.one_of(st.text(max_size=80), st.integers()),
    "ts": st.one_of(st.just("2026-01-05T09:00:00+00:00"), st.just("2026-01-05T09:00:00"),
                    st.text(max_size=10)),
    "type": st.sampled_from(["sos", "fall", "smoke", "SOS", ""]),
    "values": st.dictionaries(st.sampled_from(["heart_rate", "battery", "x"]), SCALARS),
    "state": st.sampled_from(["online", "offline", "maybe"]),
    "battery": SCALARS,
})
PAYLOADS = st.one_of(st.binary(max_size=300),
                     JSON_VALUES.map(lambda v: json.dumps(v).encode()),
                     NEAR_MISSES.map(lambda v: json.dumps(v).encode()))
serial = itertools.count()


def message(topic: str, payload: bytes, mid: int) -> Delivery:
    return Delivery(topic, payload, qos=1, retain=False, mid=mid)


def good_event() -> Delivery:
    body = {"event_id": f"good-{next(serial)}", "ts": "2026-01-05T09:00:00+00:00", "type": "sos"}
    return message("anxin/v1/devices/watch-f/event", json.dumps(body).encode(), 1)


async def count(runtime: Runtime, table: Any) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(junk=st.lists(st.tuples(TOPICS, PAYLOADS), min_size=1, max_size=8))
async def test_fuzzed_messages_never_stop_the_ingest(runtime: Runtime,
                                                     junk: list[tuple[str, bytes]]) -> None:
    """Every message is either used or dead-lettered with a reason; good events around survive."""
    async with runtime.sessions() as session:
        if await session.get(Device, "watch-f") is None:
            await service.provision_device(session, model_id="anxin-watch", senior_id=None,
                                           location="", device_id="watch-f",
                                           now=runtime.clock.now())
            await session.commit()
    ingest = Ingest(sessions=runtime.sessions, clock=runtime.clock,
                    broker=BrokerAddress("127.0.0.1", 1, "unused", "unused"))
    events_before = await count(runtime, StoredDeviceEvent)
    dead_before = await count(runtime, DeadLetter)
    batch = [good_event(), *(message(t, p, n + 2) for n, (t, p) in enumerate(junk)),
             good_event()]
    outcome = await ingest.store(batch)
    assert len(outcome.stored) + outcome.dead_letters == len(batch)
    assert await count(runtime, DeadLetter) - dead_before == outcome.dead_letters
    assert await count(runtime, StoredDeviceEvent) - events_before >= 2
    async with runtime.sessions() as session:
        reasons = (await session.execute(select(DeadLetter.reason))).scalars().all()
    assert all(reason.strip() for reason in reasons)


async def test_retained_status_replayed_on_subscribe_is_not_a_heartbeat(runtime: Runtime) -> None:
    """A retained 'online' the broker replays at subscription leaves last_seen untouched."""
    async with runtime.sessions() as session:
        await service.provision_device(session, model_id="anxin-watch", senior_id=None,
                                       location="", device_id="watch-r", now=runtime.clock.now())
        await session.commit()
    ingest = Ingest(sessions=runtime.sessions, clock=runtime.clock,
                    broker=BrokerAddress("127.0.0.1", 1, "unused", "unused"))
    online = b'{"state": "online"}'
    replayed = Delivery("anxin/v1/devices/watch-r/status", online, qos=1, retain=True, mid=1)
    live = Delivery("anxin/v1/devices/watch-r/status", online, qos=1, retain=False, mid=2)
    await ingest.store([replayed])
    async with runtime.sessions() as session:
        assert (await session.get(Device, "watch-r")).last_seen is None  # type: ignore[union-attr]
    await ingest.store([live])
    async with runtime.sessions() as session:
        device = await session.get(Device, "watch-r")
        assert device is not None and device.last_seen == runtime.clock.now()
