"""Alerts raised from outside a request: in their own transaction, then announced."""

from __future__ import annotations

import logging

from alerts import events, service
from runtime.bus import SubscriberOverflow
from runtime.context import Runtime
from seniors import service as seniors_service

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
    """Turn the ingest's and the rules feed's health reports, and emergency visits no
    provider took, into alerts."""
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
                    elif _emergency_order_escalated(event.topic, event.data):
                        await _order_unassigned(runtime, event.data)
            except SubscriberOverflow:
                log.warning("alerts fell behind the bus; resubscribing")


async def _order_unassigned(runtime: Runtime, order: dict[str, object]) -> None:
    senior_id = int(str(order["senior_id"]))
    async with runtime.sessions() as session:
        senior = await seniors_service.get_senior(session, senior_id)
    await raise_and_announce(
        runtime, kind="order_unassigned", ref=f"order:{order['id']}", senior_id=senior_id,
        detail={"what": f"{senior.name} · {senior.district} · {senior.address}",
                "reason": str(order.get("escalation_reason", ""))})


def _emergency_order_escalated(topic: str, data: dict[str, object]) -> bool:
    """An urgent responder order that no provider took (read from the dispatch feed's words,
    so this layer needs nothing of dispatch's code)."""
    return topic == "order.changed" and data.get("state") == "escalated" \
        and data.get("service") == "emergency_responder"


HEALTH_TOPICS = {"ingest.health": "ingest_stopped", "feed.health": "feed_stopped"}
