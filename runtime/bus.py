"""The internal event bus: numbered events, fan-out to subscribers, replay for resumes.

Every published event gets the next sequence number. A bounded buffer of recent events lets a
dashboard that reconnects with its last number receive what it missed, in order. A subscriber
that cannot keep up is dropped (its queue is bounded) and resumes from its last number.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runtime.clock import Clock

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class BusEvent:
    """One numbered event; only ``roles`` (and admin) may see it."""

    seq: int
    topic: str
    data: JsonDict
    at: datetime
    roles: frozenset[str]

    def visible_to(self, role: str) -> bool:
        return role in self.roles or role == "admin"

    def as_message(self) -> JsonDict:
        return {"type": "update", "seq": self.seq, "topic": self.topic,
                "at": self.at.isoformat(), "data": self.data}


class SubscriberOverflow(Exception):
    """The subscriber fell too far behind and was cut off; it should resume from its number."""


@dataclass(eq=False)
class Subscription:
    """A subscriber's bounded queue of events."""

    queue: asyncio.Queue[BusEvent | None]
    overflowed: bool = False

    async def next(self) -> BusEvent:
        event = await self.queue.get()
        if event is None:
            raise SubscriberOverflow
        return event


@dataclass
class EventBus:
    """In-process publish/subscribe with sequence numbers and a replay buffer."""

    clock: Clock
    buffer_size: int = 10_000
    subscriber_queue: int = 5_000
    epoch: str = field(default_factory=lambda: secrets.token_hex(6))
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _last_seq: int = 0
    _recent: deque[BusEvent] = field(init=False)
    _subscribers: set[Subscription] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._recent = deque(maxlen=self.buffer_size)

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def publish(self, topic: str, data: JsonDict, *, roles: Iterable[str]) -> BusEvent:
        """Number the event, keep it for replay and hand it to every subscriber.

        ``roles`` names who may see it (accounts/audiences.py); there is no "everyone".
        """
        audience = frozenset(roles)
        if not audience:
            raise ValueError(f"bus event {topic!r} names no roles that may see it")
        event = BusEvent(next(self._counter), topic, data, self.clock.now(), audience)
        self._last_seq = event.seq
        self._recent.append(event)
        for sub in list(self._subscribers):
            self._deliver(sub, event)
        return event

    def _deliver(self, sub: Subscription, event: BusEvent) -> None:
        if sub.overflowed:
            return
        if sub.queue.qsize() >= self.subscriber_queue - 1:
            sub.overflowed = True
            sub.queue.put_nowait(None)
            self._subscribers.discard(sub)
            return
        sub.queue.put_nowait(event)

    def replay_since(self, seq: int, epoch: str) -> list[BusEvent] | None:
        """Events after ``seq``, or None when the buffer no longer reaches back that far.

        ``epoch`` names the bus that numbered ``seq``; after a restart the numbers start again,
        so a number from another epoch can only be answered with a fresh snapshot.
        """
        if epoch != self.epoch or seq > self._last_seq:
            return None
        if seq == self._last_seq:
            return []
        if not self._recent or self._recent[0].seq > seq + 1:
            return None
        return [event for event in self._recent if event.seq > seq]

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """Receive every event published while the context is open."""
        sub = Subscription(asyncio.Queue(maxsize=self.subscriber_queue))
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)
