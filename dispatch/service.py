"""Orders: creation, the state machine's steps, offers and replies, feedback.

Each function works inside the caller's transaction and records what must be announced in an
``Outbox``; ``dispatch.flows`` commits and then publishes and notifies.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch import providers as provider_service
from dispatch.catalogue import ServiceCode, quote
from dispatch.events import Outbox
from dispatch.exceptions import InvalidRequest, InvalidTransition, NotFound, OfferClosed
from dispatch.lifecycle import WITH_PROVIDER, OrderEvent, OrderState, next_state
from dispatch.matching import CandidatePool, MatchRequest, Ranked
from dispatch.models import (
    Complaint,
    DispatchTimer,
    Offer,
    OrderTransition,
    Provider,
    ServiceOrder,
)
from dispatch.notify import OfferNotice
from dispatch.policy import DispatchPolicy
from dispatch.schemas import OrderCreate, OrderOut, Urgency
from dispatch.signing import ProviderLink, sign_link
from seniors import service as seniors_service

SYSTEM = "system"


def order_summary(order: ServiceOrder) -> dict[str, Any]:
    return OrderOut.model_validate(order).model_dump(mode="json")


async def get_order(session: AsyncSession, order_id: int) -> ServiceOrder:
    order = await session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return order


async def new_order(session: AsyncSession, *, data: OrderCreate, actor: str,
                    policy: DispatchPolicy, now: datetime) -> ServiceOrder:
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
        senior_id=senior.id, service=data.service.value, urgency=data.urgency.value,
        source=data.source.value, source_ref=data.source_ref, state=OrderState.CREATED.value,
        district=senior.district, latitude=senior.latitude, longitude=senior.longitude,
        service_at=service_at, due_by=due_by, notes=data.notes, price_fen=price.price_fen,
        subsidised_fen=price.subsidised_fen, senior_pays_fen=price.senior_pays_fen,
        subsidy_category=price.subsidy_category, created_by=actor, created_at=now,
        updated_at=now,
    )
    session.add(order)
    await session.flush()
    session.add(OrderTransition(order_id=order.id, from_state="", to_state=order.state,
                                event="create", actor=actor,
                                reason=f"from {data.source.value}", at=now))
    return order


def transition(session: AsyncSession, order: ServiceOrder, event: OrderEvent, *, actor: str,
               reason: str, now: datetime, outbox: Outbox) -> None:
    """Move the order by the transition table and store who did it, why and when."""
    before = OrderState(order.state)
    after = next_state(before, event)
    session.add(OrderTransition(order_id=order.id, from_state=before.value,
                                to_state=after.value, event=event.value, actor=actor,
                                reason=reason, at=now))
    order.state = after.value
    order.updated_at = now
    outbox.order_changed(order_summary(order))


async def timeline(session: AsyncSession, order_id: int) -> Sequence[OrderTransition]:
    await get_order(session, order_id)
    return (await session.scalars(select(OrderTransition).where(
        OrderTransition.order_id == order_id).order_by(OrderTransition.id))).all()


async def offers_of(session: AsyncSession, order_id: int) -> Sequence[Offer]:
    return (await session.scalars(
        select(Offer).where(Offer.order_id == order_id).order_by(Offer.id))).all()


# --- matching and offers -------------------------------------------------------------------


async def match_request(session: AsyncSession, order: ServiceOrder, *,
                        policy: DispatchPolicy, now: datetime) -> MatchRequest:
    """What matching needs about this order: place, times, and who is out of the running."""
    offered = {o.provider_id for o in await offers_of(session, order.id)}
    blocked = await provider_service.blocked_by(session, order.senior_id)
    served = set(await session.scalars(select(ServiceOrder.provider_id).where(
        ServiceOrder.senior_id == order.senior_id,
        ServiceOrder.state.in_((OrderState.COMPLETED.value, OrderState.RATED.value)),
        ServiceOrder.provider_id.is_not(None))))
    local = order.service_at.astimezone(policy.timezone)
    return MatchRequest(
        service=ServiceCode(order.service), district=order.district, latitude=order.latitude,
        longitude=order.longitude, local_minute=local.hour * 60 + local.minute, now=now,
        service_at=order.service_at, due_by=order.due_by,
        excluded=frozenset(offered | blocked), served_before=frozenset(p for p in served if p),
    )


async def match_order(session: AsyncSession, order: ServiceOrder, *, policy: DispatchPolicy,
                      now: datetime, actor: str, outbox: Outbox) -> None:
    """From 'matching': offer to the best provider(s), or escalate with the reason."""
    if order.offers_made >= policy.max_offers:
        escalate(session, order, reason=f"no provider accepted after {order.offers_made} "
                 "offers", now=now, outbox=outbox)
        return
    request = await match_request(session, order, policy=policy, now=now)
    pool = await provider_service.load_pool(session, service=request.service, now=now,
                                            near=request, weights=policy.weights)
    width = policy.parallel_offers if order.urgency == Urgency.URGENT.value else 1
    width = min(width, policy.max_offers - order.offers_made)
    ranking = pool.rank(request, policy.weights, limit=width)
    if not ranking.ranked:
        # The SQL pre-filter may have emptied the pool; ask every active provider why.
        everyone = await provider_service.load_pool(session, service=None, now=now,
                                                    with_room=False)
        reason = everyone.rank(request, policy.weights).reason or ranking.reason
        escalate(session, order, reason=reason, now=now, outbox=outbox)
        return
    await make_offers(session, order, ranking.ranked, policy=policy, now=now, actor=actor,
                      outbox=outbox, event=OrderEvent.OFFER)


def escalate(session: AsyncSession, order: ServiceOrder, *, reason: str, now: datetime,
             outbox: Outbox) -> None:
    order.escalation_reason = reason
    transition(session, order, OrderEvent.ESCALATE, actor=SYSTEM, reason=reason, now=now,
               outbox=outbox)
    outbox.alert({"kind": "escalated", "order_id": order.id, "reason": reason})


async def make_offers(session: AsyncSession, order: ServiceOrder, chosen: Sequence[Ranked], *,
                      policy: DispatchPolicy, now: datetime, actor: str, outbox: Outbox,
                      event: OrderEvent, reason: str = "") -> None:
    """One offer (and its expiry timer) per chosen provider, all in the same round."""
    expires_at = now + policy.offer_timeout[order.urgency]
    round_number = order.offers_made + 1
    names = []
    for choice in chosen:
        provider = await provider_service.get_provider(session, choice.provider_id)
        offer = Offer(order_id=order.id, provider_id=provider.id, token=secrets.token_hex(12),
                      round=round_number, state="offered", score=choice.score,
                      offered_at=now, expires_at=expires_at)
        session.add(offer)
        await session.flush()
        session.add(DispatchTimer(kind="offer_expiry", order_id=order.id, offer_id=offer.id,
                                  due_at=expires_at))
        provider.offers_received += 1
        order.offers_made += 1
        names.append(f"{provider.name} (#{provider.id}, score {choice.score:.2f})")
        outbox.offers.append(offer_notice(order, offer, provider, policy=policy))
    transition(session, order, event, actor=actor,
               reason=reason or "offered to " + ", ".join(names), now=now, outbox=outbox)


def provider_link(*, provider_id: int, order_id: int, policy: DispatchPolicy,
                  now: datetime) -> str:
    link = ProviderLink(provider_id, order_id, now + policy.link_lifetime)
    return f"{policy.public_base_url}/p/{sign_link(link, secret=policy.secret)}"


def offer_notice(order: ServiceOrder, offer: Offer, provider: Provider, *,
                 policy: DispatchPolicy) -> OfferNotice:
    return OfferNotice(
        provider_id=provider.id, channel=provider.channel, phone=provider.phone,
        webhook_url=provider.webhook_url, order_id=order.id, offer_token=offer.token,
        service=order.service, district=order.district, urgency=order.urgency,
        expires_at=offer.expires_at.isoformat(),
        link=provider_link(provider_id=provider.id, order_id=order.id, policy=policy,
                           now=offer.offered_at),
    )


async def open_offers(session: AsyncSession, order_id: int) -> Sequence[Offer]:
    return (await session.scalars(select(Offer).where(
        Offer.order_id == order_id, Offer.state == "offered"))).all()


def _rows(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


async def accept_offer(session: AsyncSession, *, token: str, provider_id: int, now: datetime,
                       outbox: Outbox) -> ServiceOrder:
    """The provider takes the order; of two accepting at once, exactly one wins.

    The conditional UPDATEs come first in the transaction so that racing replies queue on the
    database's write lock and the second one finds the order no longer 'offered'.
    """
    claimed = await session.execute(
        update(Offer).where(Offer.token == token, Offer.provider_id == provider_id,
                            Offer.state == "offered", Offer.expires_at > now)
        .values(state="accepted", answered_at=now).returning(Offer.order_id, Offer.offered_at))
    row = claimed.first()
    if row is None:
        raise OfferClosed(await why_closed(session, token=token, provider_id=provider_id,
                                           now=now))
    order_id, offered_at = row
    room = await session.execute(
        update(Provider).where(Provider.id == provider_id,
                               Provider.active_jobs < Provider.capacity)
        .values(active_jobs=Provider.active_jobs + 1))
    if _rows(room) != 1:
        raise OfferClosed("you already have as many jobs as your capacity allows; "
                          "your reply was ignored")
    won = await session.execute(
        update(ServiceOrder).where(ServiceOrder.id == order_id,
                                   ServiceOrder.state == OrderState.OFFERED.value)
        .values(state=OrderState.ACCEPTED.value, provider_id=provider_id, updated_at=now))
    if _rows(won) != 1:
        raise OfferClosed("this order has already been taken by another provider; "
                          "your reply was ignored")
    await session.execute(update(Offer).where(Offer.order_id == order_id,
                                              Offer.state == "offered")
                          .values(state="taken", answered_at=now))
    order = await get_order(session, order_id)
    await session.refresh(order)
    provider = await provider_service.get_provider(session, provider_id)
    await session.refresh(provider)
    provider.offers_accepted += 1
    provider.jobs_accepted += 1
    provider.accept_seconds_sum += (now - offered_at).total_seconds()
    session.add(OrderTransition(
        order_id=order.id, from_state=OrderState.OFFERED.value,
        to_state=next_state(OrderState.OFFERED, OrderEvent.ACCEPT).value,
        event=OrderEvent.ACCEPT.value, actor=f"provider:{provider_id}",
        reason=f"accepted by {provider.name}", at=now))
    session.add(DispatchTimer(kind="arrival_deadline", order_id=order.id, due_at=order.due_by))
    outbox.order_changed(order_summary(order))
    return order


async def why_closed(session: AsyncSession, *, token: str, provider_id: int,
                     now: datetime) -> str:
    offer = await session.scalar(select(Offer).where(Offer.token == token))
    if offer is None or offer.provider_id != provider_id:
        return "no such offer for you; your reply was ignored"
    if offer.state == "offered" and offer.expires_at <= now:
        return "this offer has expired; your reply was ignored"
    explanations = {
        "expired": "this offer has expired; your reply was ignored",
        "superseded": "this offer was withdrawn; your reply was ignored",
        "taken": "this order has already been taken by another provider; "
                 "your reply was ignored",
        "accepted": "you have already accepted this offer",
        "declined": "you have already declined this offer",
    }
    return explanations.get(offer.state, f"this offer is {offer.state}; your reply was ignored")


async def close_offer(session: AsyncSession, offer: Offer, *, outcome: str,
                      policy: DispatchPolicy, now: datetime, actor: str,
                      outbox: Outbox) -> None:
    """A decline or an expiry; when no offer of the round is left open, match again."""
    offer.state = outcome
    offer.answered_at = now
    order = await get_order(session, offer.order_id)
    if order.state != OrderState.OFFERED.value or await open_offers(session, order.id):
        outbox.order_changed(order_summary(order))
        return
    event = OrderEvent.DECLINE if outcome == "declined" else OrderEvent.OFFER_EXPIRED
    provider = await provider_service.get_provider(session, offer.provider_id)
    transition(session, order, event, actor=actor,
               reason=f"{provider.name} (#{provider.id}) {outcome}", now=now, outbox=outbox)
    await match_order(session, order, policy=policy, now=now, actor=SYSTEM, outbox=outbox)


async def decline_offer(session: AsyncSession, *, token: str, provider_id: int,
                        policy: DispatchPolicy, now: datetime, outbox: Outbox) -> ServiceOrder:
    offer = await session.scalar(select(Offer).where(
        Offer.token == token, Offer.provider_id == provider_id, Offer.state == "offered",
        Offer.expires_at > now))
    if offer is None:
        raise OfferClosed(await why_closed(session, token=token, provider_id=provider_id,
                                           now=now))
    await close_offer(session, offer, outcome="declined", policy=policy, now=now,
                      actor=f"provider:{provider_id}", outbox=outbox)
    return await get_order(session, offer.order_id)


async def expire_offer(session: AsyncSession, *, offer_id: int, policy: DispatchPolicy,
                       now: datetime, outbox: Outbox) -> None:
    offer = await session.get(Offer, offer_id)
    if offer is None or offer.state != "offered":
        return  # answered, taken or withdrawn before it ran out
    await close_offer(session, offer, outcome="expired", policy=policy, now=now, actor=SYSTEM,
                      outbox=outbox)


async def supersede_open_offers(session: AsyncSession, order_id: int, now: datetime) -> None:
    await session.execute(update(Offer).where(Offer.order_id == order_id,
                                              Offer.state == "offered")
                          .values(state="superseded", answered_at=now))


# --- the job in the provider's hands -------------------------------------------------------


async def release_provider(session: AsyncSession, order: ServiceOrder, now: datetime) -> None:
    """The provider no longer holds this job: free a slot and start the idle clock."""
    if order.provider_id is None or order.state not in WITH_PROVIDER:
        return
    provider = await provider_service.get_provider(session, order.provider_id)
    provider.active_jobs = max(provider.active_jobs - 1, 0)
    provider.last_job_ended_at = now


async def provider_step(session: AsyncSession, *, order: ServiceOrder, provider_id: int,
                        event: OrderEvent, note: str, policy: DispatchPolicy, now: datetime,
                        outbox: Outbox, latitude: float | None = None,
                        longitude: float | None = None) -> None:
    """On my way, arrived, completed, could not complete, or abort — by the assigned provider."""
    if order.provider_id != provider_id:
        raise InvalidTransition("this order is not assigned to you")
    provider = await provider_service.get_provider(session, provider_id)
    if latitude is not None and longitude is not None:
        provider.latitude, provider.longitude = latitude, longitude
    actor = f"provider:{provider_id}"
    next_state(OrderState(order.state), event)  # refuse early, before any side effect
    if event == OrderEvent.ARRIVE:
        provider.arrivals += 1
        provider.arrivals_on_time += int(now <= order.due_by)
    if event in (OrderEvent.COMPLETE, OrderEvent.COULD_NOT_COMPLETE, OrderEvent.ABORT):
        await release_provider(session, order, now)
    if event == OrderEvent.COMPLETE:
        provider.jobs_completed += 1
        order.completion_note = note
    if event == OrderEvent.COULD_NOT_COMPLETE:
        order.completion_note = note
    if event == OrderEvent.ABORT:
        order.provider_id = None
        await session.execute(update(Offer).where(
            Offer.order_id == order.id, Offer.provider_id == provider_id,
            Offer.state == "accepted").values(state="aborted"))
    transition(session, order, event, actor=actor, reason=note or event.value.replace("_", " "),
               now=now, outbox=outbox)
    if event == OrderEvent.ABORT:
        await match_order(session, order, policy=policy, now=now, actor=SYSTEM, outbox=outbox)
    if event == OrderEvent.COULD_NOT_COMPLETE:
        outbox.alert({"kind": "follow_up", "order_id": order.id, "reason": note})


# --- staff actions ---------------------------------------------------------------------------


async def cancel_order(session: AsyncSession, *, order: ServiceOrder, actor: str, reason: str,
                       now: datetime, outbox: Outbox) -> None:
    next_state(OrderState(order.state), OrderEvent.CANCEL)
    await release_provider(session, order, now)
    await supersede_open_offers(session, order.id, now)
    transition(session, order, OrderEvent.CANCEL, actor=actor, reason=reason, now=now,
               outbox=outbox)


async def reassign_order(session: AsyncSession, *, order: ServiceOrder, provider_id: int,
                         actor: str, reason: str, policy: DispatchPolicy, now: datetime,
                         outbox: Outbox) -> None:
    """A dispatcher offers the order to a chosen provider, withdrawing what is open."""
    next_state(OrderState(order.state), OrderEvent.REASSIGN)
    provider = await provider_service.get_provider(session, provider_id)
    if provider.status != "active":
        raise InvalidRequest(f"provider {provider_id} is {provider.status}")
    await release_provider(session, order, now)
    await supersede_open_offers(session, order.id, now)
    order.provider_id = None
    order.escalation_reason = ""
    await make_offers(session, order, [Ranked(provider_id, 0.0, 0.0)], policy=policy, now=now,
                      actor=actor, outbox=outbox, event=OrderEvent.REASSIGN,
                      reason=f"{reason}: offered to {provider.name} (#{provider.id})")


async def rematch_order(session: AsyncSession, *, order: ServiceOrder, actor: str, reason: str,
                        policy: DispatchPolicy, now: datetime, outbox: Outbox) -> None:
    transition(session, order, OrderEvent.REMATCH, actor=actor, reason=reason, now=now,
               outbox=outbox)
    order.escalation_reason = ""
    order.offers_made = 0
    await match_order(session, order, policy=policy, now=now, actor=actor, outbox=outbox)


async def rate_order(session: AsyncSession, *, order: ServiceOrder, stars: int, comment: str,
                     actor: str, now: datetime, outbox: Outbox) -> None:
    next_state(OrderState(order.state), OrderEvent.RATE)
    order.rating = stars
    if order.provider_id is not None:
        provider = await provider_service.get_provider(session, order.provider_id)
        provider.rating_sum += stars
        provider.rating_count += 1
    transition(session, order, OrderEvent.RATE, actor=actor,
               reason=f"{stars} stars" + (f": {comment}" if comment else ""), now=now,
               outbox=outbox)


async def add_complaint(session: AsyncSession, *, order: ServiceOrder, text: str, actor: str,
                        now: datetime) -> Complaint:
    complaint = Complaint(order_id=order.id, provider_id=order.provider_id, text=text,
                          recorded_by=actor, at=now)
    session.add(complaint)
    if order.provider_id is not None:
        provider = await provider_service.get_provider(session, order.provider_id)
        provider.complaints += 1
    await session.flush()
    return complaint


# --- timers and the SLA watchdog -----------------------------------------------------------


async def due_timers(session: AsyncSession, now: datetime, limit: int = 100) -> list[int]:
    return list(await session.scalars(select(DispatchTimer.id).where(
        DispatchTimer.fired_at.is_(None), DispatchTimer.due_at <= now)
        .order_by(DispatchTimer.due_at).limit(limit)))


async def fire_timer(session: AsyncSession, *, timer_id: int, policy: DispatchPolicy,
                     now: datetime, outbox: Outbox) -> None:
    timer = await session.get(DispatchTimer, timer_id)
    if timer is None or timer.fired_at is not None:
        return
    timer.fired_at = now
    if timer.kind == "offer_expiry" and timer.offer_id is not None:
        await expire_offer(session, offer_id=timer.offer_id, policy=policy, now=now,
                           outbox=outbox)
    elif timer.kind == "arrival_deadline":
        order = await get_order(session, timer.order_id)
        if order.state in (OrderState.ACCEPTED.value, OrderState.EN_ROUTE.value):
            late_alert(order, reason="the provider has not arrived by the deadline", now=now,
                       outbox=outbox)


def late_alert(order: ServiceOrder, *, reason: str, now: datetime, outbox: Outbox) -> None:
    order.late_alerted_at = now
    outbox.alert({"kind": "late", "order_id": order.id, "provider_id": order.provider_id,
                  "due_by": order.due_by.isoformat(), "reason": reason})
    outbox.order_changed(order_summary(order))


async def watch_sla(session: AsyncSession, *, policy: DispatchPolicy, now: datetime,
                    outbox: Outbox) -> None:
    """Alert once for each accepted job whose provider cannot reach the senior in time."""
    orders = (await session.scalars(select(ServiceOrder).where(
        ServiceOrder.state.in_((OrderState.ACCEPTED.value, OrderState.EN_ROUTE.value)),
        ServiceOrder.late_alerted_at.is_(None)))).all()
    for order in orders:
        if order.provider_id is None:
            continue
        provider = await provider_service.get_provider(session, order.provider_id)
        pool_row = provider_service.candidate_of(provider, now)
        request = MatchRequest(service=ServiceCode(order.service), district=order.district,
                               latitude=order.latitude, longitude=order.longitude,
                               local_minute=0, now=now, service_at=order.service_at,
                               due_by=order.due_by)
        travel = float(CandidatePool([pool_row]).travel_minutes(
            request, policy.weights.speed_kmh)[0])
        eta = now + timedelta(minutes=travel)
        if eta > order.due_by:
            late_alert(order, reason=f"estimated arrival {eta:%H:%M} UTC is after the deadline",
                       now=now, outbox=outbox)
