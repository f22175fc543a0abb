"""The live feed's stored event log: one order across instances, resumes, pruning."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from cluster import event_log
from cluster.event_log import StoredEventLog
from runtime.bus import BusEvent, EventBus, Subscription
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.cluster.conftest import OpenInstance

ROLES = {"operator"}


async def _take(subscription: Subscription, count: int) -> list[BusEvent]:
    return [await asyncio.wait_for(subscription.next(), timeout=5) for _ in range(count)]


async def test_events_from_two_instances_arrive_everywhere_in_one_order(
        instance: OpenInstance) -> None:
    """What either instance publishes reaches both, numbered once, in the same order."""
    clock = ManualClock()
    async with instance() as (engine_a, sessions_a), instance() as (engine_b, sessions_b):
        a = EventBus(clock=clock, log=StoredEventLog(engine_a, sessions_a, origin="a"))
        b = EventBus(clock=clock, log=StoredEventLog(engine_b, sessions_b, origin="b"))
        async with a.running(), b.running(), a.subscribe() as on_a, b.subscribe() as on_b:
            assert a.epoch == b.epoch
            for i in range(20):
                (a if i % 2 else b).publish("t", {"i": i}, roles=ROLES)
            seen_a, seen_b = await _take(on_a, 20), await _take(on_b, 20)
    assert [event.seq for event in seen_a] == [event.seq for event in seen_b]
    assert [event.data for event in seen_a] == [event.data for event in seen_b]
    assert sorted(event.data["i"] for event in seen_a) == list(range(20))
    assert [event.seq for event in seen_a] == sorted({event.seq for event in seen_a})


async def test_a_resume_on_another_instance_replays_from_the_log(
        instance: OpenInstance) -> None:
    """A number seen on A resumes on B with what came after it, beyond B's memory buffer."""
    clock = ManualClock()
    async with instance() as (engine_a, sessions_a), instance() as (engine_b, sessions_b):
        a = EventBus(clock=clock, log=StoredEventLog(engine_a, sessions_a, origin="a"))
        b = EventBus(clock=clock, buffer_size=2,
                     log=StoredEventLog(engine_b, sessions_b, origin="b"))
        async with a.running(), b.running(), a.subscribe() as on_a, b.subscribe() as on_b:
            for i in range(6):
                a.publish("t", {"i": i}, roles=ROLES)
            seen = await _take(on_a, 6)
            await _take(on_b, 6)
            replay = await b.replay_since(seen[1].seq, a.epoch)
            assert await b.replay_since(seen[1].seq, "another-log") is None
    assert replay is not None
    assert [event.data["i"] for event in replay] == [2, 3, 4, 5]


async def test_the_app_on_sqlite_delivers_through_the_same_log(runtime: Runtime) -> None:
    """One instance on SQLite: a published event comes back numbered by the stored log."""
    async with runtime.bus.subscribe() as subscription:
        runtime.bus.publish("t", {"n": 1}, roles=ROLES)
        event = (await _take(subscription, 1))[0]
    assert event.data == {"n": 1}
    assert runtime.bus.log is not None
    assert event.seq == await runtime.bus.log.last_seq()


async def test_pruning_keeps_the_newest_and_the_young(instance: OpenInstance) -> None:
    """Old events go in slices; the last ``keep`` stay however old they are."""
    clock = ManualClock()
    async with instance() as (engine, sessions):
        stored = StoredEventLog(engine, sessions, origin="a")
        bus = EventBus(clock=clock, log=stored)
        async with bus.running(), bus.subscribe() as subscription:
            for i in range(10):
                bus.publish("t", {"i": i}, roles=ROLES)
            await _take(subscription, 10)
        later = clock.now() + timedelta(hours=2)
        assert await event_log.prune(sessions, before=later, keep=3, batch=4) == 4
        assert await event_log.prune(sessions, before=later, keep=3, batch=4) == 3
        assert await event_log.prune(sessions, before=later, keep=3, batch=4) == 0
        assert [event.data["i"] for event in await stored.after(0, 100)] == [7, 8, 9]


async def test_an_event_that_is_not_json_is_dropped_not_blocking_the_feed(
        runtime: Runtime) -> None:
    """Data the log cannot store is dropped with an error; the events after it still arrive."""
    async with runtime.bus.subscribe() as subscription:
        runtime.bus.publish("t", {"when": object()}, roles=ROLES)
        runtime.bus.publish("t", {"n": 2}, roles=ROLES)
        event = (await _take(subscription, 1))[0]
    assert event.data == {"n": 2}
