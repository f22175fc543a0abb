"""After-commit notices from an ingest that runs in another process than the app.

An ingest in its own process (``anxin devices ingest``, or a child the app starts) publishes a
small QoS 0 notice on ``anxin/v1/internal/stored`` after each commit that stored new device
events; the app's rules feed listens and drains at once instead of at its next poll. A notice
is only a wake-up: the events outbox and the readings cursor stay the record of what is left to
do, so a lost notice delays the work by one poll and loses nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import aiomqtt

from devices.ingest import BatchOutcome, BrokerAddress, Ingest
from devices.topics import INTERNAL_PREFIX

log = logging.getLogger(__name__)
STORED_TOPIC = f"{INTERNAL_PREFIX}/stored"
RECONNECT_PAUSE_SECONDS = (0.5, 15.0)


class StoredNotifier:
    """A commit observer that publishes one notice per commit holding new events; commits
    made while a notice is on its way are folded into the next one."""

    def __init__(self, broker: BrokerAddress, *, client_id: str) -> None:
        self.broker = broker
        self.client_id = client_id
        self._events = 0
        self._pending = asyncio.Event()

    def __call__(self, outcome: BatchOutcome) -> None:
        if outcome.new_events:
            self._events += len(outcome.new_events)
            self._pending.set()

    async def run(self) -> None:
        """Publish notices until cancelled, reconnecting after broker trouble."""
        pause = RECONNECT_PAUSE_SECONDS[0]
        while True:
            try:
                async with self.broker.client(self.client_id, clean_session=True) as client:
                    pause = RECONNECT_PAUSE_SECONDS[0]
                    while True:
                        await self._pending.wait()
                        self._pending.clear()
                        count, self._events = self._events, 0
                        await client.publish(STORED_TOPIC, json.dumps({"events": count}), qos=0)
            except (aiomqtt.MqttError, OSError) as error:
                log.warning("stored notices stopped (%s); reconnecting in %.1f s", error, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RECONNECT_PAUSE_SECONDS[1])


async def run_with_notices(ingest: Ingest) -> None:
    """Run the ingest and announce every commit with new events to the other processes."""
    notifier = StoredNotifier(ingest.broker, client_id=f"{ingest.client_id}-notices")
    earlier = ingest.on_commit

    def observe(outcome: BatchOutcome) -> None:
        if earlier is not None:
            earlier(outcome)
        notifier(outcome)

    ingest.on_commit = observe
    async with asyncio.TaskGroup() as group:
        group.create_task(notifier.run(), name="stored-notices")
        group.create_task(ingest.run(), name="ingest")


async def watch_stored(broker: BrokerAddress, *, client_id: str,
                       wake: Callable[[], None]) -> None:
    """Call ``wake`` for every notice, and once after each (re)connection, since events may
    have been stored while nobody listened."""
    pause = RECONNECT_PAUSE_SECONDS[0]
    while True:
        try:
            async with broker.client(client_id, clean_session=True) as client:
                await client.subscribe(STORED_TOPIC, qos=0)
                pause = RECONNECT_PAUSE_SECONDS[0]
                wake()
                async for _ in client.messages:
                    wake()
        except (aiomqtt.MqttError, OSError) as error:
            log.warning("stored-notice watch stopped (%s); reconnecting in %.1f s", error, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECONNECT_PAUSE_SECONDS[1])
