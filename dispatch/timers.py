"""Timers kept in the database (offer expiries, arrival deadlines) and the SLA watchdog."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch import offers, orders
from dispatch import providers as provider_service
from dispatch.catalogue import ServiceCode
from dispatch.events import Outbox
from dispatch.lifecycle import OrderState
from dispatch.matching import CandidatePool, MatchRequest
from dispatch.models import (
    DispatchTimer,
    ServiceOrder,
)
from dispatch.policy import DispatchPolicy


async def due_timers(session: AsyncSession, now: datetime, limit: int = 100) -> list[int]:
    return list(
        await session.scalars(
            select(DispatchTimer.id)
            .where(DispatchTimer.fired_at.is_(None), DispatchTimer.due_at <= now)
            .order_by(DispatchTimer.due_at)
            .limit(limit)
        )
    )


async def fire_timer(
    session: AsyncSession, *, timer_id: int, policy: DispatchPolicy, now: datetime, outbox: Outbox
) -> None:
    timer = await session.get(DispatchTimer, timer_id)
    if timer is None or timer.fired_at is not None:
        return
    timer.fired_at = now
    if timer.kind == "offer_expiry" and timer.offer_id is not None:
        await offers.expire_offer(
            session, offer_id=timer.offer_id, policy=policy, now=now, outbox=outbox
        )
    elif timer.kind == "arrival_deadline":
        order = await orders.get_order(session, timer.order_id)
        if order.state in (OrderState.ACCEPTED.value, OrderState.EN_ROUTE.value):
            late_alert(
                order, reason="the provider has not arrived by the deadline", now=now, outbox=outbox
            )


def late_alert(order: ServiceOrder, *, reason: str, now: datetime, outbox: Outbox) -> None:
    order.late_alerted_at = now
    outbox.alert(
        {
            "kind": "late",
            "order_id": order.id,
            "provider_id": order.provider_id,
            "due_by": order.due_by.isoformat(),
            "reason": reason,
        }
    )
    outbox.order_changed(orders.order_summary(order))


async def watch_sla(
    session: AsyncSession, *, policy: DispatchPolicy, now: datetime, outbox: Outbox
) -> None:
    """Alert once for each accepted job whose provider cannot reach the senior in time."""
    orders = (
        await session.scalars(
            select(ServiceOrder).where(
                ServiceOrder.state.in_((OrderState.ACCEPTED.value, OrderState.EN_ROUTE.value)),
                ServiceOrder.late_alerted_at.is_(None),
            )
        )
    ).all()
    for order in orders:
        if order.provider_id is None:
            continue
        provider = await provider_service.get_provider(session, order.provider_id)
        pool_row = provider_service.candidate_of(provider, now)
        request = MatchRequest(
            service=ServiceCode(order.service),
            district=order.district,
            latitude=order.latitude,
            longitude=order.longitude,
            local_minute=0,
            now=now,
            service_at=order.service_at,
            due_by=order.due_by,
        )
        travel = float(
            CandidatePool([pool_row]).travel_minutes(request, policy.weights.speed_kmh)[0]
        )
        eta = now + timedelta(minutes=travel)
        if eta > order.due_by:
            late_alert(
                order,
                reason=f"estimated arrival {eta:%H:%M} UTC is after the deadline",
                now=now,
                outbox=outbox,
            )
