"""Matching an order and offering it: parallel or one by one, replies, expiry, escalation."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from areas import service as areas_service
from dispatch import candidates, escalations, orders
from dispatch import providers as provider_service
from dispatch.catalogue import CATALOGUE, ServiceCode
from dispatch.escalations import Escalation
from dispatch.events import Outbox
from dispatch.exceptions import OfferClosed
from dispatch.lifecycle import OrderEvent, OrderState, next_state
from dispatch.matching import MatchRequest, Ranked, Ranking
from dispatch.models import (
    DispatchTimer,
    Offer,
    OrderTransition,
    Provider,
    ProviderBlock,
    ServiceOrder,
)
from dispatch.notify import OfferNotice
from dispatch.orders import SYSTEM
from dispatch.policy import DispatchPolicy
from dispatch.schemas import Urgency
from dispatch.signing import ProviderLink, sign_link
from seniors import areas as seniors_areas


async def match_request(
    session: AsyncSession, order: ServiceOrder, *, policy: DispatchPolicy, now: datetime
) -> MatchRequest:
    """What matching needs about this order: place, times, and who is out of the running."""
    offered = select(literal("offered"), Offer.provider_id).where(Offer.order_id == order.id)
    blocked = select(literal("blocked"), ProviderBlock.provider_id).where(
        ProviderBlock.senior_id == order.senior_id
    )
    served = select(literal("served"), ServiceOrder.provider_id).where(
        ServiceOrder.senior_id == order.senior_id,
        ServiceOrder.state.in_((OrderState.COMPLETED.value, OrderState.RATED.value)),
        ServiceOrder.provider_id.is_not(None),
    )
    # One round trip: the match of an urgent order is on the clock.
    result = cast(
        Result[str, int | None], await session.execute(union_all(offered, blocked, served))
    )
    rows = [(kind, pid) for kind, pid in result]
    out = frozenset(p for kind, p in rows if kind != "served" and p)
    familiar = frozenset(p for kind, p in rows if kind == "served" and p)
    local = order.service_at.astimezone(policy.timezone)
    area = await seniors_areas.area_of(session, order.senior_id)
    return MatchRequest(
        service=ServiceCode(order.service),
        district=order.district,
        latitude=order.latitude,
        longitude=order.longitude,
        local_minute=local.hour * 60 + local.minute,
        now=now,
        service_at=order.service_at,
        due_by=order.due_by,
        excluded=out,
        served_before=familiar,
        centre_tiers=await areas_service.centre_lineage(session, area) if area else (),
    )


async def match_order(
    session: AsyncSession,
    order: ServiceOrder,
    *,
    policy: DispatchPolicy,
    now: datetime,
    actor: str,
    outbox: Outbox,
) -> None:
    """From 'matching': offer to the best provider(s), or escalate with the reason."""
    if order.offers_made >= policy.max_offers:
        escalate(
            session,
            order,
            reason=escalations.no_acceptance(order.offers_made),
            now=now,
            outbox=outbox,
        )
        return
    request = await match_request(session, order, policy=policy, now=now)
    width = policy.parallel_offers if order.urgency == Urgency.URGENT.value else 1
    width = min(width, policy.max_offers - order.offers_made)
    ranking = await rank_providers(session, request, policy=policy, now=now, limit=width)
    if not ranking.ranked:
        # An empty ranking always says why; TOO_FAR is the last filter, should it ever not.
        why = ranking.reason or escalations.TOO_FAR
        escalate(session, order, reason=why, now=now, outbox=outbox)
        return
    await make_offers(
        session,
        order,
        ranking.ranked,
        policy=policy,
        now=now,
        actor=actor,
        outbox=outbox,
        event=OrderEvent.OFFER,
    )


async def rank_providers(
    session: AsyncSession,
    request: MatchRequest,
    *,
    policy: DispatchPolicy,
    now: datetime,
    limit: int,
) -> Ranking:
    """The best available providers, from the in-memory index when the session has one.

    The index may lag behind another instance's changes, so the chosen few are checked in the
    database; any that turned out suspended or full are reloaded and the ranking runs again.
    """
    index = candidates.index_of(session)
    if index is None:
        return await rank_from_database(session, request, policy=policy, now=now, limit=limit)
    for _ in range(RERANKS):
        await index.refresh(session, now=now)
        ranking = index.pool_for(request).rank(request, policy.weights, limit=limit)
        if not ranking.ranked:
            reason = index.everyone().rank(request, policy.weights).reason or ranking.reason
            return Ranking([], reason)
        stale = await provider_service.unavailable(session, [r.provider_id for r in ranking.ranked])
        if not stale:
            return ranking
        index.mark_changed(stale)
    return await rank_from_database(session, request, policy=policy, now=now, limit=limit)


# How often matching re-ranks after finding stale index entries before asking SQL instead.
RERANKS = 3


async def rank_from_database(
    session: AsyncSession,
    request: MatchRequest,
    *,
    policy: DispatchPolicy,
    now: datetime,
    limit: int,
) -> Ranking:
    """The same ranking with a SQL pre-filter (no index: scripts, the benchmark's baseline)."""
    pool = await provider_service.load_pool(
        session, service=request.service, now=now, near=request, weights=policy.weights
    )
    ranking = pool.rank(request, policy.weights, limit=limit)
    if ranking.ranked:
        return ranking
    # The SQL pre-filter may have emptied the pool; ask every active provider why.
    everyone = await provider_service.load_pool(session, service=None, now=now, with_room=False)
    return Ranking([], everyone.rank(request, policy.weights).reason or ranking.reason)


def escalate(
    session: AsyncSession,
    order: ServiceOrder,
    *,
    reason: Escalation,
    now: datetime,
    outbox: Outbox,
) -> None:
    order.escalation_reason = reason.text
    order.escalation_code = reason.code.value
    orders.transition(
        session,
        order,
        OrderEvent.ESCALATE,
        actor=SYSTEM,
        reason=reason.text,
        now=now,
        outbox=outbox,
    )
    alert = {"kind": "escalated", "order_id": order.id, "reason": reason.text}
    outbox.alert(alert | {"code": reason.code.value})


async def make_offers(
    session: AsyncSession,
    order: ServiceOrder,
    chosen: Sequence[Ranked],
    *,
    policy: DispatchPolicy,
    now: datetime,
    actor: str,
    outbox: Outbox,
    event: OrderEvent,
    reason: str = "",
) -> None:
    """One offer (and its expiry timer) per chosen provider, all in the same round."""
    expires_at = now + policy.offer_timeout[order.urgency]
    round_number = order.offers_made + 1
    names = []
    for choice in chosen:
        provider = await provider_service.get_provider(session, choice.provider_id)
        offer = Offer(
            order_id=order.id,
            provider_id=provider.id,
            token=secrets.token_hex(12),
            round=round_number,
            state="offered",
            score=choice.score,
            offered_at=now,
            expires_at=expires_at,
        )
        session.add(offer)
        await session.flush()
        session.add(
            DispatchTimer(
                kind="offer_expiry", order_id=order.id, offer_id=offer.id, due_at=expires_at
            )
        )
        provider.offers_received += 1
        outbox.provider_changed(provider.id)
        order.offers_made += 1
        names.append(f"{provider.name} (#{provider.id}, score {choice.score:.2f})")
        outbox.offers.append(offer_notice(order, offer, provider, policy=policy))
    orders.transition(
        session,
        order,
        event,
        actor=actor,
        reason=reason or "offered to " + ", ".join(names),
        now=now,
        outbox=outbox,
    )


def provider_link(*, provider_id: int, order_id: int, policy: DispatchPolicy, now: datetime) -> str:
    link = ProviderLink(provider_id, order_id, now + policy.link_lifetime)
    return f"{policy.public_base_url}/p/{sign_link(link, key=policy.link_key)}"


def offer_notice(
    order: ServiceOrder, offer: Offer, provider: Provider, *, policy: DispatchPolicy
) -> OfferNotice:
    return OfferNotice(
        provider_id=provider.id,
        channel=provider.channel,
        phone=provider.phone,
        webhook_url=provider.webhook_url,
        order_id=order.id,
        offer_token=offer.token,
        service=order.service,
        district=order.district,
        urgency=order.urgency,
        expires_at=offer.expires_at.isoformat(),
        expires_local=offer.expires_at.astimezone(policy.timezone).strftime("%H:%M"),
        service_name=CATALOGUE[ServiceCode(order.service)].name_zh,
        link=provider_link(
            provider_id=provider.id, order_id=order.id, policy=policy, now=offer.offered_at
        ),
    )


async def open_offers(session: AsyncSession, order_id: int) -> Sequence[Offer]:
    return (
        await session.scalars(
            select(Offer).where(Offer.order_id == order_id, Offer.state == "offered")
        )
    ).all()


async def _fresh(session: AsyncSession, offer: Offer) -> Offer:
    await session.refresh(offer)
    return offer


def _rows(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


async def accept_offer(
    session: AsyncSession,
    *,
    token: str,
    provider_id: int,
    order_id: int,
    now: datetime,
    outbox: Outbox,
) -> ServiceOrder:
    """The provider takes the order of their link; of two accepting at once, exactly one wins.

    The order's row is claimed first, by one guarded UPDATE, so racing replies queue on that
    row (PostgreSQL's row lock; SQLite's write gate) and each later one finds the order no longer
    'offered'. Claiming the offers first deadlocked on PostgreSQL: each loser held its own offer
    and waited for the order, while the winner waited for those offers to mark them 'taken'.
    """
    own_offer = (
        Offer.token == token,
        Offer.provider_id == provider_id,
        Offer.order_id == order_id,
        Offer.state == "offered",
        Offer.expires_at > now,
    )
    won = await session.execute(
        update(ServiceOrder)
        .where(
            ServiceOrder.id == order_id,
            ServiceOrder.state == OrderState.OFFERED.value,
            select(Offer.id).where(*own_offer).exists(),
        )
        .values(state=OrderState.ACCEPTED.value, provider_id=provider_id, updated_at=now)
    )
    offered_at = None
    if _rows(won) == 1:  # the row is ours now: the offer's own claim cannot race another accept
        offered_at = (
            await session.execute(
                update(Offer)
                .where(*own_offer)
                .values(state="accepted", answered_at=now)
                .returning(Offer.offered_at)
            )
        ).scalar()
    if offered_at is None:
        raise OfferClosed(
            await why_closed(
                session, token=token, provider_id=provider_id, order_id=order_id, now=now
            )
        )
    room = await session.execute(
        update(Provider)
        .where(Provider.id == provider_id, Provider.active_jobs < Provider.capacity)
        .values(active_jobs=Provider.active_jobs + 1)
    )
    if _rows(room) != 1:
        raise OfferClosed(
            "you already have as many jobs as your capacity allows; your reply was ignored"
        )
    await session.execute(
        update(Offer)
        .where(Offer.order_id == order_id, Offer.state == "offered")
        .values(state="taken", answered_at=now)
    )
    order = await orders.get_order(session, order_id)
    await session.refresh(order)
    provider = await provider_service.get_provider(session, provider_id)
    await session.refresh(provider)
    provider.offers_accepted += 1
    provider.jobs_accepted += 1
    provider.accept_seconds_sum += (now - offered_at).total_seconds()
    outbox.provider_changed(provider_id)
    session.add(
        OrderTransition(
            order_id=order.id,
            from_state=OrderState.OFFERED.value,
            to_state=next_state(OrderState.OFFERED, OrderEvent.ACCEPT).value,
            event=OrderEvent.ACCEPT.value,
            actor=f"provider:{provider_id}",
            reason=f"accepted by {provider.name}",
            at=now,
        )
    )
    session.add(DispatchTimer(kind="arrival_deadline", order_id=order.id, due_at=order.due_by))
    outbox.order_changed(orders.order_summary(order))
    return order


TAKEN = "this order has already been taken by another provider; your reply was ignored"


async def why_closed(
    session: AsyncSession, *, token: str, provider_id: int, order_id: int, now: datetime
) -> str:
    offer = await session.scalar(select(Offer).where(Offer.token == token))
    if offer is None or offer.provider_id != provider_id or offer.order_id != order_id:
        return "no such offer for you on this order; your reply was ignored"
    if offer.state == "offered" and offer.expires_at <= now:
        return "this offer has expired; your reply was ignored"
    if offer.state == "offered":  # open, but the order has moved on without closing it
        return TAKEN
    explanations = {
        "expired": "this offer has expired; your reply was ignored",
        "superseded": "this offer was withdrawn; your reply was ignored",
        "taken": TAKEN,
        "accepted": "you have already accepted this offer",
        "declined": "you have already declined this offer",
    }
    return explanations.get(offer.state, f"this offer is {offer.state}; your reply was ignored")


async def close_offer(
    session: AsyncSession,
    offer: Offer,
    *,
    outcome: str,
    policy: DispatchPolicy,
    now: datetime,
    actor: str,
    outbox: Outbox,
) -> None:
    """A decline or an expiry; when no offer of the round is left open, match again.

    The order's row is locked first, as ``accept_offer`` claims it first: with the offer locked
    first, an accept of this offer at the same moment held the order and waited for the offer
    while this waited for the order (a deadlock on PostgreSQL). Then the offer is claimed by a
    conditional UPDATE, so a replayed or racing decline (or a decline racing the expiry, or an
    accept that won) closes it once.
    """
    order = await orders.lock_order(session, offer.order_id)
    claimed = await session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.state == "offered")
        .values(state=outcome, answered_at=now)
    )
    if _rows(claimed) != 1:
        raise OfferClosed(f"this offer is already {(await _fresh(session, offer)).state}")
    if order.state != OrderState.OFFERED.value or await open_offers(session, order.id):
        outbox.order_changed(orders.order_summary(order))
        return
    event = OrderEvent.DECLINE if outcome == "declined" else OrderEvent.OFFER_EXPIRED
    provider = await provider_service.get_provider(session, offer.provider_id)
    orders.transition(
        session,
        order,
        event,
        actor=actor,
        reason=f"{provider.name} (#{provider.id}) {outcome}",
        now=now,
        outbox=outbox,
    )
    await match_order(session, order, policy=policy, now=now, actor=SYSTEM, outbox=outbox)


async def decline_offer(
    session: AsyncSession,
    *,
    token: str,
    provider_id: int,
    order_id: int,
    policy: DispatchPolicy,
    now: datetime,
    outbox: Outbox,
) -> ServiceOrder:
    offer = await session.scalar(
        select(Offer).where(
            Offer.token == token,
            Offer.provider_id == provider_id,
            Offer.order_id == order_id,
            Offer.state == "offered",
            Offer.expires_at > now,
        )
    )
    if offer is None:
        raise OfferClosed(
            await why_closed(
                session, token=token, provider_id=provider_id, order_id=order_id, now=now
            )
        )
    await close_offer(
        session,
        offer,
        outcome="declined",
        policy=policy,
        now=now,
        actor=f"provider:{provider_id}",
        outbox=outbox,
    )
    return await orders.get_order(session, offer.order_id)


async def expire_offer(
    session: AsyncSession, *, offer_id: int, policy: DispatchPolicy, now: datetime, outbox: Outbox
) -> None:
    offer = await session.get(Offer, offer_id)
    if offer is None or offer.state != "offered":
        return  # answered, taken or withdrawn before it ran out
    try:
        await close_offer(
            session, offer, outcome="expired", policy=policy, now=now, actor=SYSTEM, outbox=outbox
        )
    except OfferClosed:
        return  # answered in the meantime


async def withdraw_offers_to(
    session: AsyncSession,
    *,
    provider_ids: Sequence[int],
    policy: DispatchPolicy,
    now: datetime,
    outbox: Outbox,
) -> None:
    """Withdraw the open offers to these (suspended) providers; orders left with none re-match."""
    waiting = (
        await session.scalars(
            select(Offer)
            .where(Offer.provider_id.in_(provider_ids), Offer.state == "offered")
            .order_by(Offer.id)
        )
    ).all()
    for offer in waiting:
        try:
            await close_offer(
                session,
                offer,
                outcome="superseded",
                policy=policy,
                now=now,
                actor=SYSTEM,
                outbox=outbox,
            )
        except OfferClosed:
            continue  # answered in the meantime


async def supersede_open_offers(session: AsyncSession, order_id: int, now: datetime) -> None:
    await session.execute(
        update(Offer)
        .where(Offer.order_id == order_id, Offer.state == "offered")
        .values(state="superseded", answered_at=now)
    )
