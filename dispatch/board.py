"""What the dispatch board shows: orders by state, open offers, late jobs, escalations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.lifecycle import CLOSED, OrderState
from dispatch.models import Offer, Provider, ServiceOrder
from dispatch.schemas import OfferOut, OrderOut
from seniors import service as seniors_service


async def list_orders(
    session: AsyncSession,
    *,
    state: OrderState | None = None,
    senior_id: int | None = None,
    limit: int = 200,
    include_archived: bool = False,
) -> Sequence[ServiceOrder]:
    query = select(ServiceOrder).order_by(ServiceOrder.id.desc()).limit(limit)
    if not include_archived:
        query = query.where(ServiceOrder.archived_at.is_(None))
    if state is not None:
        query = query.where(ServiceOrder.state == state.value)
    if senior_id is not None:
        query = query.where(ServiceOrder.senior_id == senior_id)
    return (await session.scalars(query)).all()


async def snapshot(session: AsyncSession, *, now: datetime) -> dict[str, Any]:
    counts: dict[str, int] = dict(
        (
            await session.execute(
                select(ServiceOrder.state, func.count()).group_by(ServiceOrder.state)
            )
        ).all()
    )
    open_orders = (
        await session.scalars(
            select(ServiceOrder)
            .where(ServiceOrder.state.not_in([s.value for s in CLOSED]))
            .order_by(ServiceOrder.due_by)
            .limit(500)
        )
    ).all()
    offers = (
        await session.execute(
            select(Offer, Provider.name)
            .join(Provider, Provider.id == Offer.provider_id)
            .where(Offer.state == "offered")
            .order_by(Offer.expires_at)
        )
    ).all()
    senior_names = await seniors_service.names_of(session, {o.senior_id for o in open_orders})
    late = [
        o
        for o in open_orders
        if o.late_alerted_at is not None
        or (o.due_by < now and o.state in (OrderState.ACCEPTED.value, OrderState.EN_ROUTE.value))
    ]
    return {
        "now": now.isoformat(),
        "counts": {state.value: int(counts.get(state.value, 0)) for state in OrderState},
        "orders": [{**OrderOut.model_validate(o).model_dump(mode="json"),
                    "senior_name": senior_names.get(o.senior_id)} for o in open_orders],
        "offers": [
            {**OfferOut.model_validate(o).model_dump(mode="json"), "provider_name": name}
            for o, name in offers
        ],
        "late": [o.id for o in late],
        "escalated": [o.id for o in open_orders if o.state == OrderState.ESCALATED.value],
    }
