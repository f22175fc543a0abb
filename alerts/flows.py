"""Alerts raised from outside a request: in their own transaction, then announced."""

from __future__ import annotations

import logging

from alerts import events, service
from runtime.bus import SubscriberOverflow
from runtime.context import Runtime

log = logging.getLogger(__name__)


async def raise_and_announce(runtime: Runtime, *, kind: str, ref: str,
                             detail: dict[str, object] | None = None,
                             senior_id: int | None = None) -> None:
    async with runtime.sessions() as session:
        alert = await service.raise_alert(session, kind=kind, ref=ref, detail=detail,
                                          senior_id=senior_id, now=runtime.clock.now())
        await session.commit()
    events.publish(runtime.bus, alert)


async def watch_health(runtime: Runtime) -> None:
    """Turn the ingest's and the rules feed's health reports into alerts."""
    while True:
        async with runtime.bus.subscribe() as subscription:
            try:
                while True:
                    event = await subscription.next()
                    kind = HEALTH_TOPICS.get(event.topic)
                    if kind is not None and event.data.get("consuming") is False:
                        await raise_and_announce(
                            runtime, kind=kind, ref=event.topic.split(".")[0],
                            detail={"reason": str(event.data.get("reason", ""))})
            except SubscriberOverflow:
                log.warning("alerts fell behind the bus; resubscribing")


HEALTH_TOPICS = {"ingest.health": "ingest_stopped", "feed.health": "feed_stopped"}
