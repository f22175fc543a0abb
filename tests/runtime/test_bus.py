"""The event bus: numbering, replay window and slow subscribers."""

import pytest

from runtime.bus import EventBus, SubscriberOverflow
from runtime.clock import ManualClock


async def test_replay_returns_what_came_after_a_number() -> None:
    """Replay gives the later events in order; a number older than the buffer gives None."""
    bus = EventBus(clock=ManualClock(), buffer_size=3)
    for i in range(5):
        bus.publish("t", {"i": i}, roles={"operator"})
    assert [e.data["i"] for e in (await bus.replay_since(3, bus.epoch)) or []] == [3, 4]
    assert await bus.replay_since(5, bus.epoch) == []
    assert await bus.replay_since(1, bus.epoch) is None
    assert await bus.replay_since(3, "other-epoch") is None
    assert await bus.replay_since(9, bus.epoch) is None


async def test_a_slow_subscriber_is_cut_off_not_the_bus() -> None:
    """Past its queue size a subscriber is told it overflowed; publishing never blocks."""
    bus = EventBus(clock=ManualClock(), subscriber_queue=4)
    async with bus.subscribe() as sub:
        for i in range(10):
            bus.publish("t", {"i": i}, roles={"operator"})
        received = [(await sub.next()).data["i"] for _ in range(3)]
        with pytest.raises(SubscriberOverflow):
            await sub.next()
    assert received == [0, 1, 2]


def test_an_event_without_an_audience_is_refused() -> None:
    """There is no "everyone": publishing with no roles is an error and numbers nothing."""
    bus = EventBus(clock=ManualClock())
    with pytest.raises(ValueError, match="names no roles"):
        bus.publish("t", {}, roles=())
    assert bus.last_seq == 0
