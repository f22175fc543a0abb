"""Sending a responder when the call centre reached nobody for an alarm.

The contact cascade ends a case as ``unreached`` when neither the senior nor any contact
answered; the practice is then to send someone to the door. This sweep reads such cases from
the database, so a case closed while this process was down still gets its responder, and the
order's ``source_ref`` (``case:<id>``) makes the sweep idempotent.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callcenter import flows as callcenter_flows
from callcenter import service as callcenter_service
from dispatch import flows
from dispatch.catalogue import ServiceCode
from dispatch.events import ORDER_CHANGED
from dispatch.models import Provider, ServiceOrder
from dispatch.schemas import OrderCreate, OrderSource, Urgency
from runtime.bus import SubscriberOverflow
from runtime.context import Runtime

SWEEP_SECONDS = 5.0
ACTOR = "system"
log = logging.getLogger(__name__)


async def send_responders(runtime: Runtime) -> list[int]:
    """An urgent responder order for every unreached alarm case without one; returns order ids."""
    async with runtime.sessions() as session:
        cases = await callcenter_service.unreached_alarm_cases(session)
        refs = {f"case:{case.id}": case for case in cases}
        done = set((await session.execute(select(ServiceOrder.source_ref).where(
            ServiceOrder.source == OrderSource.ALARM,
            ServiceOrder.source_ref.in_(refs)))).scalars())
    created = []
    for ref, case in refs.items():
        if ref in done:
            continue
        try:
            order = await flows.create_order(runtime, actor=ACTOR, data=OrderCreate(
                senior_id=case.senior_id, service=ServiceCode.EMERGENCY_RESPONDER,
                urgency=Urgency.URGENT, source=OrderSource.ALARM, source_ref=ref,
                notes=f"警报 #{case.alarm_id}：老人及紧急联系人均未接听，请立即上门查看"))
        except IntegrityError:
            continue  # another app instance sent this case's responder first
        created.append(order.id)
    return created


async def responder_loop(runtime: Runtime) -> None:
    """Every few seconds, make sure every unreached alarm case has someone on the way."""
    while True:
        await send_responders(runtime)
        await runtime.clock.sleep(SWEEP_SECONDS)


async def tell_family_loop(runtime: Runtime) -> None:
    """When a provider accepts an alarm's responder order, the family hears who is coming and
    by when (and only then: nothing says "on the way" before someone is)."""
    while True:
        async with runtime.bus.subscribe() as subscription:
            try:
                while True:
                    event = await subscription.next()
                    data = event.data
                    if event.topic == ORDER_CHANGED and data.get("state") == "accepted" \
                            and data.get("source") == OrderSource.ALARM.value \
                            and str(data.get("source_ref", "")).startswith("case:"):
                        await tell_family(runtime, case_id=int(str(data["source_ref"])[5:]),
                                          provider_id=int(str(data["provider_id"])),
                                          due_by=datetime.fromisoformat(str(data["due_by"])))
            except SubscriberOverflow:
                log.warning("family notices fell behind the bus; resubscribing")


async def tell_family(runtime: Runtime, *, case_id: int, provider_id: int,
                      due_by: datetime) -> None:
    zone = ZoneInfo(runtime.settings.timezone)
    async with runtime.sessions() as session:
        provider = await session.get(Provider, provider_id)
        if provider is None:
            return
        await callcenter_flows.send_case_notice(
            runtime, session, case_id=case_id, reason="visit_arranged",
            provider_name=provider.name, arrival_local=due_by.astimezone(zone))
        await session.commit()
