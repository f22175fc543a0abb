"""The internal event bus: numbered events, fan-out to subscribers, replay for resumes.

Every published event gets the next sequence number. With an event log (runtime/bus.py's
``EventLog``, stored in the database by cluster/event_log.py) the number is the log's, so every
instance on one database delivers the same events in the same order, and a dashboard that
reconnects to any instance with its last number receives what it missed. Without one (unit
tests) the bus numbers events itself, in memory. A bounded buffer of recent events answers most
resumes without a query. A subscriber that cannot keep up is dropped (its queue is bounded) and
resumes from its last number.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from runtime.clock import Clock
from runtime.scope import AreaScope

JsonDict = dict[str, Any]
log = logging.getLogger(__name__)
READ_SLICE = 1_000  # log rows read per query
WRITE_SLICE = 500  # events appended per transaction
OUTBOX_LIMIT = 100_000  # events waiting for the log while the database is away
POLL_SECONDS = 1.0  # the reader looks even without a wake-up (a listener that reconnects)
RETRY_SECONDS = 1.0
CATCH_UP_SECONDS = 1.0  # how long a resume waits for this instance to reach its number


@dataclass(frozen=True, slots=True)
class BusEvent:
    """One numbered event; only ``roles`` (and admin) may see it, and only staff whose
    centres serve ``area`` (None: work of no centre yet, seen by every centre)."""

    seq: int
    topic: str
    data: JsonDict
    at: datetime
    roles: frozenset[str]
    area: str | None = None

    def visible_to(self, role: str) -> bool:
        return role in self.roles or role == "admin"

    def visible_in(self, scope: AreaScope) -> bool:
        return self.area is None or scope.covers(self.area)

    def as_message(self) -> JsonDict:
        return {"type": "update", "seq": self.seq, "topic": self.topic,
                "at": self.at.isoformat(), "data": self.data}


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event published but not yet numbered by the log."""

    topic: str
    data: JsonDict
    at: datetime
    roles: frozenset[str]
    area: str | None = None


class EventLog(Protocol):
    """Where events get their one global number (cluster/event_log.py)."""

    async def epoch(self) -> str: ...

    async def append(self, events: Sequence[PendingEvent]) -> None: ...

    async def after(self, seq: int, limit: int) -> list[BusEvent]: ...

    async def last_seq(self) -> int: ...

    async def first_seq(self) -> int | None: ...

    async def listen(self, woken: asyncio.Event) -> None:
        """Set ``woken`` whenever another instance may have appended; runs until cancelled."""


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
    """Publish/subscribe with sequence numbers and a replay buffer, over an optional log."""

    clock: Clock
    buffer_size: int = 10_000
    subscriber_queue: int = 5_000
    epoch: str = field(default_factory=lambda: secrets.token_hex(6))
    log: EventLog | None = None
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _last_seq: int = 0
    _recent: deque[BusEvent] = field(init=False)
    _subscribers: set[Subscription] = field(default_factory=set)
    _outbox: list[PendingEvent] = field(default_factory=list)
    _outbox_ready: asyncio.Event = field(default_factory=asyncio.Event)
    _woken: asyncio.Event = field(default_factory=asyncio.Event)
    _progress: asyncio.Event = field(default_factory=asyncio.Event)  # stored or delivered

    def __post_init__(self) -> None:
        self._recent = deque(maxlen=self.buffer_size)

    @property
    def last_seq(self) -> int:
        """The number of the last event handed to subscribers on this instance."""
        return self._last_seq

    def publish(self, topic: str, data: JsonDict, *, roles: Iterable[str],
                area: str | None = None) -> None:
        """Number the event, keep it for replay and hand it to every subscriber (through the
        log, when there is one: then delivery follows within milliseconds, on every instance).

        ``roles`` names who may see it (accounts/audiences.py); there is no "everyone".
        ``area`` is the area code of what it is about (areas/): only its centres hear it.
        """
        audience = frozenset(roles)
        if not audience:
            raise ValueError(f"bus event {topic!r} names no roles that may see it")
        if self.log is None:
            self._fan_out(BusEvent(next(self._counter), topic, data, self.clock.now(), audience,
                                   area))
            return
        if len(self._outbox) >= OUTBOX_LIMIT:
            log.error("event log unreachable: dropping the oldest waiting event")
            del self._outbox[0]
        self._outbox.append(PendingEvent(topic, data, self.clock.now(), audience, area))
        self._outbox_ready.set()

    def _fan_out(self, event: BusEvent) -> None:
        self._last_seq = event.seq
        self._recent.append(event)
        for sub in list(self._subscribers):
            self._deliver(sub, event)

    def _deliver(self, sub: Subscription, event: BusEvent) -> None:
        if sub.overflowed:
            return
        if sub.queue.qsize() >= self.subscriber_queue - 1:
            sub.overflowed = True
            sub.queue.put_nowait(None)
            self._subscribers.discard(sub)
            return
        sub.queue.put_nowait(event)

    async def replay_since(self, seq: int, epoch: str) -> list[BusEvent] | None:
        """Events after ``seq``, or None when neither buffer nor log reaches back that far.

        ``epoch`` names the log (or the in-memory bus) that numbered ``seq``; a number from
        another epoch can only be answered with a fresh snapshot.
        """
        if epoch != self.epoch:
            return None
        if seq > self._last_seq and self.log is not None:
            await self._catch_up(seq)  # the client saw it on another instance, a moment ago
        if seq > self._last_seq:
            return None
        if seq == self._last_seq:
            return []
        if self._recent and self._recent[0].seq <= seq + 1:
            return [event for event in self._recent if event.seq > seq]
        if self.log is None:
            return None
        return await self._replay_from_log(seq, self.log)

    async def _catch_up(self, seq: int) -> None:
        self._woken.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._progressed_until(lambda: self._last_seq >= seq),
                                   CATCH_UP_SECONDS)

    async def _replay_from_log(self, seq: int, event_log: EventLog) -> list[BusEvent] | None:
        first = await event_log.first_seq()
        if first is None or first > seq + 1:
            return None
        replay: list[BusEvent] = []
        while True:
            rows = await event_log.after(replay[-1].seq if replay else seq, READ_SLICE)
            replay += [row for row in rows if row.seq <= self._last_seq]
            if len(rows) < READ_SLICE or not rows or rows[-1].seq >= self._last_seq:
                return replay

    async def settled(self) -> None:
        """Wait until what was published so far is stored and handed to subscribers here."""
        if self.log is None:
            return
        await self._progressed_until(lambda: not self._outbox)
        target = await self.log.last_seq()
        self._woken.set()
        await self._progressed_until(lambda: self._last_seq >= target)

    async def _progressed_until(self, done: Callable[[], bool]) -> None:
        while True:
            self._progress.clear()
            if done():
                return
            with contextlib.suppress(TimeoutError):  # asyncio.timeout: see _read
                async with asyncio.timeout(POLL_SECONDS):
                    await self._progress.wait()

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """Receive every event published while the context is open."""
        sub = Subscription(asyncio.Queue(maxsize=self.subscriber_queue))
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """With a log: write what is published, and deliver what any instance wrote."""
        if self.log is None:
            yield
            return
        self.epoch = await self.log.epoch()
        self._last_seq = await self.log.last_seq()
        # Plain tasks, not a task group: an error in the block (a lifespan part refusing to
        # start) must reach the caller as itself, not wrapped in an exception group.
        tasks = [asyncio.create_task(self._write(self.log), name="bus-log-writer"),
                 asyncio.create_task(self._read(self.log), name="bus-log-reader"),
                 asyncio.create_task(self._listen(self.log), name="bus-log-listener")]
        for task in tasks:
            task.add_done_callback(_report_crash)
        try:
            yield
            await self._flush()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _flush(self) -> None:
        """On the way out: give the writer a moment to store what was just published."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._progressed_until(lambda: not self._outbox), 1.0)

    async def _write(self, event_log: EventLog) -> None:
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            while self._outbox:
                batch = self._outbox[:WRITE_SLICE]
                try:
                    await event_log.append(batch)
                except Exception:  # the database is away: keep the events and try again
                    log.exception("event log: append failed; retrying")
                    self._drop_unstorable()
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                del self._outbox[:len(batch)]
                self._woken.set()
                self._progress.set()

    def _drop_unstorable(self) -> None:
        """An event whose data is not JSON would block the log for ever: drop it, loudly."""
        for event in [event for event in self._outbox if not _is_json(event.data)]:
            log.error("event log: dropping %s, its data is not JSON", event.topic)
            self._outbox.remove(event)

    async def _read(self, event_log: EventLog) -> None:
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for loses a cancel that lands as the
            # event is set, and this loop then outlives the shutdown that cancelled it.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._woken.wait()
            self._woken.clear()
            try:
                await self._deliver_new(event_log)
            except Exception:
                log.exception("event log: read failed; retrying")
                await asyncio.sleep(RETRY_SECONDS)

    async def _deliver_new(self, event_log: EventLog) -> None:
        while True:
            rows = await event_log.after(self._last_seq, READ_SLICE)
            for event in rows:
                self._fan_out(event)
            self._progress.set()
            if len(rows) < READ_SLICE:
                return

    async def _listen(self, event_log: EventLog) -> None:
        while True:
            try:
                await event_log.listen(self._woken)
            except Exception:
                log.exception("event log: listener lost; reconnecting")
            self._woken.set()  # what came while the listener was away is read now
            await asyncio.sleep(RETRY_SECONDS)


def _is_json(data: JsonDict) -> bool:
    try:
        json.dumps(data)
    except (TypeError, ValueError):
        return False
    return True


def _report_crash(task: asyncio.Task[None]) -> None:
    """A log task that ends by itself has failed: the feed stops, so say so loudly."""
    if not task.cancelled() and task.exception() is not None:
        log.error("live feed task %s stopped", task.get_name(), exc_info=task.exception())
