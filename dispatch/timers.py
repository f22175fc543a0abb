"""Timers kept in the database (offer expiries, arrival deadlines) and the SLA watchdog."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch import escalations, offers, orders
from dispatch import providers as provider_service
from dispatch.catalogue import ServiceCode
from dispatch.escalations import Escalation
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


async def claimed(session: AsyncSession, statement: Any) -> bool:
    """Run a conditional UPDATE; True when this transaction changed the row.

    It is the transaction's first write, so on SQLite a second app instance waits on the write
    lock and then finds the row already claimed; PostgreSQL re-checks the WHERE after the row
    lock. Either way exactly one instance goes on, and a rollback releases the claim.
    """
    result = cast(CursorResult[Any], await session.execute(statement))
    return int(result.rowcount) == 1


async def fire_timer(
    session: AsyncSession, *, timer_id: int, policy: DispatchPolicy, now: datetime, outbox: Outbox
) -> bool:
    """Fire one due timer unless another instance already has; True when this one fired it."""
    claim = (
        update(DispatchTimer)
        .where(DispatchTimer.id == timer_id, DispatchTimer.fired_at.is_(None))
        .values(fired_at=now)
        .execution_options(synchronize_session=False)
    )
    if not await claimed(session, claim):
        return False
    timer = await session.get(DispatchTimer, timer_id)
    assert timer is not None
    if timer.kind == "offer_expiry" and timer.offer_id is not None:
        await offers.expire_offer(
            session, offer_id=timer.offer_id, policy=policy, now=now, outbox=outbox
        )
    elif timer.kind == "arrival_deadline":
        order = await orders.get_order(session, timer.order_id)
        if order.state in (OrderState.ACCEPTED.value, OrderState.EN_ROUTE.value):
            await late_alert(
                session,
                order,
                reason=escalations.NOT_ARRIVED,
                now=now,
                outbox=outbox,
            )
    return True


async def late_alert(
    session: AsyncSession,
    order: ServiceOrder,
    *,
    reason: Escalation,
    now: datetime,
    outbox: Outbox,
) -> None:
    """Alert once per order, even with several instances watching the same database."""
    claim = (
        update(ServiceOrder)
        .where(ServiceOrder.id == order.id, ServiceOrder.late_alerted_at.is_(None))
        .values(late_alerted_at=now)
        .execution_options(synchronize_session=False)
    )
    if not await claimed(session, claim):
        return
    order.late_alerted_at = now
    outbox.alert(
        {
            "kind": "late",
            "order_id": order.id,
            "provider_id": order.provider_id,
            "due_by": order.due_by.isoformat(),
            "reason": reason.text,
            "code": reason.code.value,
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
            await late_alert(
                session,
                order,
                reason=escalations.late_eta(f"{eta:%H:%M}"),
                now=now,
                outbox=outbox,
            )
