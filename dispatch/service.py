"""The job in the provider's hands, and what staff do to an order: cancel, reassign, rematch,
rate, complain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch import offers, orders
from dispatch import providers as provider_service
from dispatch.events import Outbox
from dispatch.exceptions import InvalidRequest, InvalidTransition
from dispatch.lifecycle import WITH_PROVIDER, OrderEvent, OrderState, next_state
from dispatch.matching import Ranked
from dispatch.models import (
    Complaint,
    Offer,
    OrderTransition,
    ServiceOrder,
)
from dispatch.orders import SYSTEM
from dispatch.policy import DispatchPolicy
from dispatch.schemas import OrderOut

# --- the job in the provider's hands -------------------------------------------------------


async def release_provider(
    session: AsyncSession, order: ServiceOrder, now: datetime, outbox: Outbox
) -> None:
    """The provider no longer holds this job: free a slot and start the idle clock."""
    if order.provider_id is None or order.state not in WITH_PROVIDER:
        return
    provider = await provider_service.get_provider(session, order.provider_id)
    provider.active_jobs = max(provider.active_jobs - 1, 0)
    provider.last_job_ended_at = now
    outbox.provider_changed(provider.id)


async def provider_step(
    session: AsyncSession,
    *,
    order: ServiceOrder,
    provider_id: int,
    event: OrderEvent,
    note: str,
    policy: DispatchPolicy,
    now: datetime,
    outbox: Outbox,
    latitude: float | None = None,
    longitude: float | None = None,
) -> None:
    """On my way, arrived, completed, could not complete, or abort — by the assigned provider,
    once: a replayed or racing report finds the order moved on and changes nothing."""
    if order.provider_id != provider_id:
        raise InvalidTransition("this order is not assigned to you")
    next_state(OrderState(order.state), event)  # refuse early, before any side effect
    await claim_order(session, order, provider_id=provider_id, event=event, now=now)
    provider = await provider_service.get_provider(session, provider_id)
    outbox.provider_changed(provider_id)
    if latitude is not None and longitude is not None:
        provider.latitude, provider.longitude = latitude, longitude
    actor = f"provider:{provider_id}"
    if event == OrderEvent.ARRIVE:
        provider.arrivals += 1
        provider.arrivals_on_time += int(now <= order.due_by)
    if event in (OrderEvent.COMPLETE, OrderEvent.COULD_NOT_COMPLETE, OrderEvent.ABORT):
        await release_provider(session, order, now, outbox)
    if event == OrderEvent.COMPLETE:
        provider.jobs_completed += 1
        order.completion_note = note
    if event == OrderEvent.COULD_NOT_COMPLETE:
        order.completion_note = note
    if event == OrderEvent.ABORT:
        order.provider_id = None
        await session.execute(
            update(Offer)
            .where(
                Offer.order_id == order.id,
                Offer.provider_id == provider_id,
                Offer.state == "accepted",
            )
            .values(state="aborted")
        )
    orders.transition(
        session,
        order,
        event,
        actor=actor,
        reason=note or event.value.replace("_", " "),
        now=now,
        outbox=outbox,
    )
    if event == OrderEvent.ABORT:
        await offers.match_order(
            session, order, policy=policy, now=now, actor=SYSTEM, outbox=outbox
        )
    if event == OrderEvent.COULD_NOT_COMPLETE:
        outbox.alert({"kind": "follow_up", "order_id": order.id, "reason": note})


async def claim_order(
    session: AsyncSession, order: ServiceOrder, *, provider_id: int, event: OrderEvent,
    now: datetime,
) -> None:
    """Take the order's row as read (state and provider) with a conditional UPDATE, the
    transaction's first write: of two identical reports, the second finds it changed."""
    claimed = await session.execute(
        update(ServiceOrder)
        .where(
            ServiceOrder.id == order.id,
            ServiceOrder.state == order.state,
            ServiceOrder.provider_id == provider_id,
        )
        .values(updated_at=now)
    )
    if cast(CursorResult[Any], claimed).rowcount == 1:
        return
    await session.refresh(order)
    if order.provider_id != provider_id:
        raise InvalidTransition("this order is not assigned to you")
    next_state(OrderState(order.state), event)
    raise InvalidTransition(f"this order is already {order.state.replace('_', ' ')}")


# --- staff actions ---------------------------------------------------------------------------


async def cancel_order(
    session: AsyncSession,
    *,
    order: ServiceOrder,
    actor: str,
    reason: str,
    now: datetime,
    outbox: Outbox,
) -> None:
    next_state(OrderState(order.state), OrderEvent.CANCEL)
    await release_provider(session, order, now, outbox)
    await offers.supersede_open_offers(session, order.id, now)
    orders.transition(
        session, order, OrderEvent.CANCEL, actor=actor, reason=reason, now=now, outbox=outbox
    )


async def reassign_order(
    session: AsyncSession,
    *,
    order: ServiceOrder,
    provider_id: int,
    actor: str,
    reason: str,
    policy: DispatchPolicy,
    now: datetime,
    outbox: Outbox,
) -> None:
    """A dispatcher offers the order to a chosen provider, withdrawing what is open."""
    next_state(OrderState(order.state), OrderEvent.REASSIGN)
    provider = await provider_service.get_provider(session, provider_id)
    if provider.status != "active":
        raise InvalidRequest(f"provider {provider_id} is {provider.status}")
    await release_provider(session, order, now, outbox)
    await offers.supersede_open_offers(session, order.id, now)
    order.provider_id = None
    order.escalation_reason = order.escalation_code = ""
    await offers.make_offers(
        session,
        order,
        [Ranked(provider_id, 0.0, 0.0)],
        policy=policy,
        now=now,
        actor=actor,
        outbox=outbox,
        event=OrderEvent.REASSIGN,
        reason=f"{reason}: offered to {provider.name} (#{provider.id})",
    )


async def rematch_order(
    session: AsyncSession,
    *,
    order: ServiceOrder,
    actor: str,
    reason: str,
    policy: DispatchPolicy,
    now: datetime,
    outbox: Outbox,
) -> None:
    orders.transition(
        session, order, OrderEvent.REMATCH, actor=actor, reason=reason, now=now, outbox=outbox
    )
    order.escalation_reason = order.escalation_code = ""
    order.offers_made = 0
    await offers.match_order(session, order, policy=policy, now=now, actor=actor, outbox=outbox)


async def rate_order(
    session: AsyncSession,
    *,
    order: ServiceOrder,
    stars: int,
    comment: str,
    actor: str,
    now: datetime,
    outbox: Outbox,
) -> None:
    next_state(OrderState(order.state), OrderEvent.RATE)
    order.rating = stars
    if order.provider_id is not None:
        provider = await provider_service.get_provider(session, order.provider_id)
        provider.rating_sum += stars
        provider.rating_count += 1
        outbox.provider_changed(provider.id)
    orders.transition(
        session,
        order,
        OrderEvent.RATE,
        actor=actor,
        reason=f"{stars} stars" + (f": {comment}" if comment else ""),
        now=now,
        outbox=outbox,
    )


async def add_complaint(
    session: AsyncSession,
    *,
    order: ServiceOrder,
    text: str,
    actor: str,
    now: datetime,
    outbox: Outbox,
) -> Complaint:
    complaint = Complaint(
        order_id=order.id, provider_id=order.provider_id, text=text, recorded_by=actor, at=now
    )
    session.add(complaint)
    if order.provider_id is not None:
        provider = await provider_service.get_provider(session, order.provider_id)
        provider.complaints += 1
        outbox.provider_changed(provider.id)
    await session.flush()
    return complaint


@dataclass(frozen=True, slots=True)
class OrderMove:
    """One step of an order's lifecycle, as another domain's timeline tells it."""

    order_id: int
    at: datetime
    to_state: str
    event: str
    actor: str
    reason: str


async def orders_linked(session: AsyncSession, *, order_ids: Sequence[int],
                        source_refs: Sequence[str]) -> list[OrderOut]:
    """These orders and the orders placed from these sources (``incident:7``, ``case:3``)."""
    orders = await session.scalars(select(ServiceOrder).where(or_(
        ServiceOrder.id.in_(order_ids), ServiceOrder.source_ref.in_(source_refs)))
        .order_by(ServiceOrder.id))
    return [OrderOut.model_validate(order) for order in orders]


async def moves_of(session: AsyncSession, *, order_ids: Sequence[int]) -> list[OrderMove]:
    """Every lifecycle step of these orders, in the order they happened."""
    if not order_ids:
        return []
    moves = await session.scalars(select(OrderTransition).where(
        OrderTransition.order_id.in_(order_ids)).order_by(OrderTransition.id))
    return [OrderMove(order_id=move.order_id, at=move.at, to_state=move.to_state,
                      event=move.event, actor=move.actor, reason=move.reason) for move in moves]


async def recent_of_senior(session: AsyncSession, *, senior_id: int,
                           limit: int) -> list[OrderOut]:
    """The senior's latest service orders, the newest first."""
    orders = await session.scalars(select(ServiceOrder).where(ServiceOrder.senior_id == senior_id)
                                   .order_by(ServiceOrder.id.desc()).limit(limit))
    return [OrderOut.model_validate(order) for order in orders]
