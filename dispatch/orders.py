"""Orders: creation with its price, the state machine's step, the timeline.

Each function works inside the caller's transaction and records what must be announced in an
``Outbox``; ``dispatch.flows`` commits and then publishes and notifies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.catalogue import quote
from dispatch.events import Outbox
from dispatch.exceptions import InvalidRequest, NotFound
from dispatch.lifecycle import OrderEvent, OrderState, next_state
from dispatch.models import (
    Offer,
    OrderTransition,
    ServiceOrder,
)
from dispatch.policy import DispatchPolicy
from dispatch.schemas import OrderCreate, OrderOut
from seniors import service as seniors_service

SYSTEM = "system"


def order_summary(order: ServiceOrder) -> dict[str, Any]:
    return OrderOut.model_validate(order).model_dump(mode="json")


async def get_order(session: AsyncSession, order_id: int) -> ServiceOrder:
    order = await session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return order


async def lock_order(session: AsyncSession, order_id: int) -> ServiceOrder:
    """The order, re-read with its row locked to the end of the transaction (PostgreSQL; on
    SQLite the write gate already lets one writer at a time). Every change to an order and its
    offers takes the order's row first, so two of them never wait for each other."""
    order = await session.get(ServiceOrder, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return order


async def new_order(
    session: AsyncSession, *, data: OrderCreate, actor: str, policy: DispatchPolicy, now: datetime
) -> ServiceOrder:
    """A priced order in state 'created' for an existing senior."""
    senior = await seniors_service.get_senior(session, data.senior_id)
    service_at = data.service_at or now
    if service_at.tzinfo is None or (data.due_by is not None and data.due_by.tzinfo is None):
        raise InvalidRequest("service_at and due_by need a time zone")
    due_by = data.due_by or service_at + policy.due_after[data.urgency.value]
    if due_by <= now:
        raise InvalidRequest("due_by lies in the past")
    if due_by < service_at:
        raise InvalidRequest("due_by is before service_at")
    price = quote(data.service, list(senior.subsidy_categories))
    order = ServiceOrder(
        senior_id=senior.id,
        service=data.service.value,
        urgency=data.urgency.value,
        source=data.source.value,
        source_ref=data.source_ref,
        state=OrderState.CREATED.value,
        district=senior.district,
        latitude=senior.latitude,
        longitude=senior.longitude,
        service_at=service_at,
        due_by=due_by,
        notes=data.notes,
        price_fen=price.price_fen,
        subsidised_fen=price.subsidised_fen,
        senior_pays_fen=price.senior_pays_fen,
        subsidy_category=price.subsidy_category,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    await session.flush()
    session.add(
        OrderTransition(
            order_id=order.id,
            from_state="",
            to_state=order.state,
            event="create",
            actor=actor,
            reason=f"from {data.source.value}",
            at=now,
        )
    )
    return order


def transition(
    session: AsyncSession,
    order: ServiceOrder,
    event: OrderEvent,
    *,
    actor: str,
    reason: str,
    now: datetime,
    outbox: Outbox,
) -> None:
    """Move the order by the transition table and store who did it, why and when."""
    before = OrderState(order.state)
    after = next_state(before, event)
    session.add(
        OrderTransition(
            order_id=order.id,
            from_state=before.value,
            to_state=after.value,
            event=event.value,
            actor=actor,
            reason=reason,
            at=now,
        )
    )
    order.state = after.value
    order.updated_at = now
    outbox.order_changed(order_summary(order))


async def timeline(session: AsyncSession, order_id: int) -> Sequence[OrderTransition]:
    await get_order(session, order_id)
    return (
        await session.scalars(
            select(OrderTransition)
            .where(OrderTransition.order_id == order_id)
            .order_by(OrderTransition.id)
        )
    ).all()


async def offers_of(session: AsyncSession, order_id: int) -> Sequence[Offer]:
    return (
        await session.scalars(select(Offer).where(Offer.order_id == order_id).order_by(Offer.id))
    ).all()
