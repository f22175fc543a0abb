"""Runtime-level steps: open a transaction, run the service, commit, then announce.

Other domains call ``create_order`` (an operator during a call, a green-key press, an alarm's
responder, a schedule). Announcements (bus events, offers to providers) go out only after the
commit, so nobody hears of an order the database does not hold.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from dispatch import offers, orders, service, timers
from dispatch.events import Outbox
from dispatch.lifecycle import OrderEvent
from dispatch.models import ServiceOrder
from dispatch.notify import (
    LoggingSmsSender,
    ProviderNotifier,
    SmsSender,
    TelephonySmsSender,
    WebhookNotifier,
    deliver_offer,
)
from dispatch.policy import DispatchPolicy
from dispatch.schemas import OrderCreate, ProviderAction
from runtime.context import Runtime

log = logging.getLogger(__name__)


@dataclass
class DispatchRuntime:
    """Dispatch's resources: the policy read from settings and the provider channels."""

    policy: DispatchPolicy
    webhook: ProviderNotifier
    sms: SmsSender


@asynccontextmanager
async def dispatch_lifespan(runtime: Runtime) -> AsyncIterator[None]:
    """Open the webhook HTTP client; SMS goes out through the call centre's telephony port."""
    policy = DispatchPolicy.from_settings(runtime.settings)
    async with httpx.AsyncClient(timeout=5.0) as client:
        runtime.dispatch = DispatchRuntime(
            policy=policy, webhook=WebhookNotifier(client, policy.secret),
            sms=TelephonySmsSender(runtime.callcenter.provider) if runtime.callcenter
            else LoggingSmsSender(),
        )
        try:
            yield
        finally:
            runtime.dispatch = None


def dispatch_of(runtime: Runtime) -> DispatchRuntime:
    if runtime.dispatch is None:
        raise RuntimeError("dispatch is not running (its lifespan part is missing)")
    return runtime.dispatch


async def announce(runtime: Runtime, outbox: Outbox) -> None:
    for item in outbox.publications:
        runtime.bus.publish(item.topic, item.data, roles=item.roles)
    parts = dispatch_of(runtime)
    for notice in outbox.offers:
        await deliver_offer(notice, webhook=parts.webhook, sms=parts.sms)


Step = Callable[[AsyncSession, DispatchPolicy, datetime, Outbox], Awaitable[ServiceOrder | None]]


async def run_step(runtime: Runtime, step: Step) -> ServiceOrder | None:
    """One transaction: the step, the commit, then the announcements."""
    outbox = Outbox()
    policy = dispatch_of(runtime).policy
    async with runtime.sessions() as session:
        result = await step(session, policy, runtime.clock.now(), outbox)
        await session.commit()
    await announce(runtime, outbox)
    return result


async def create_order(runtime: Runtime, *, data: OrderCreate, actor: str) -> ServiceOrder:
    """Record an order and, unless it waits for a batch, start matching at once."""

    async def step(
        session: AsyncSession, policy: DispatchPolicy, now: datetime, outbox: Outbox
    ) -> ServiceOrder:
        order = await orders.new_order(session, data=data, actor=actor, policy=policy, now=now)
        await accounts_service.record_audit(
            session,
            actor=actor,
            action="dispatch.order_created",
            subject_type="senior",
            subject_id=str(data.senior_id),
            now=now,
            detail={"order_id": order.id, "service": order.service, "urgency": order.urgency},
        )
        if data.batch:
            outbox.order_changed(orders.order_summary(order))
            return order
        orders.transition(
            session,
            order,
            OrderEvent.START_MATCHING,
            actor=actor,
            reason="matching started",
            now=now,
            outbox=outbox,
        )
        await offers.match_order(
            session, order, policy=policy, now=now, actor=orders.SYSTEM, outbox=outbox
        )
        return order

    order = await run_step(runtime, step)
    assert order is not None
    return order


PROGRESS = {
    ProviderAction.EN_ROUTE: OrderEvent.EN_ROUTE,
    ProviderAction.ARRIVE: OrderEvent.ARRIVE,
    ProviderAction.COMPLETE: OrderEvent.COMPLETE,
    ProviderAction.COULD_NOT_COMPLETE: OrderEvent.COULD_NOT_COMPLETE,
    ProviderAction.ABORT: OrderEvent.ABORT,
}


async def provider_acts(
    runtime: Runtime,
    *,
    order_id: int,
    provider_id: int,
    action: ProviderAction,
    offer_token: str = "",
    note: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> ServiceOrder:
    """A provider's reply or progress report, from the provider page or their own system."""

    async def step(
        session: AsyncSession, policy: DispatchPolicy, now: datetime, outbox: Outbox
    ) -> ServiceOrder:
        if action == ProviderAction.ACCEPT:
            return await offers.accept_offer(
                session, token=offer_token, provider_id=provider_id, now=now, outbox=outbox
            )
        if action == ProviderAction.DECLINE:
            return await offers.decline_offer(
                session,
                token=offer_token,
                provider_id=provider_id,
                policy=policy,
                now=now,
                outbox=outbox,
            )
        order = await orders.get_order(session, order_id)
        await service.provider_step(
            session,
            order=order,
            provider_id=provider_id,
            event=PROGRESS[action],
            note=note,
            policy=policy,
            now=now,
            outbox=outbox,
            latitude=latitude,
            longitude=longitude,
        )
        await accounts_service.record_audit(
            session,
            actor=f"provider:{provider_id}",
            action=f"dispatch.{action.value}",
            subject_type="senior",
            subject_id=str(order.senior_id),
            now=now,
            detail={"order_id": order.id, "note": note},
        )
        return order

    order = await run_step(runtime, step)
    assert order is not None
    return order


async def fire_due_timers(runtime: Runtime) -> int:
    """Fire every timer that is due, each in its own transaction; returns how many fired."""
    async with runtime.sessions() as session:
        due = await timers.due_timers(session, runtime.clock.now())
    for timer_id in due:

        async def step(
            session: AsyncSession,
            policy: DispatchPolicy,
            now: datetime,
            outbox: Outbox,
            timer_id: int = timer_id,
        ) -> None:
            await timers.fire_timer(
                session, timer_id=timer_id, policy=policy, now=now, outbox=outbox
            )

        await run_step(runtime, step)
    return len(due)


async def check_sla(runtime: Runtime) -> None:
    async def step(
        session: AsyncSession, policy: DispatchPolicy, now: datetime, outbox: Outbox
    ) -> None:
        await timers.watch_sla(session, policy=policy, now=now, outbox=outbox)

    await run_step(runtime, step)


async def run_dispatch_timers(runtime: Runtime) -> None:
    """Fire offer expiries and arrival deadlines when due (also those missed while stopped)."""
    while True:
        await fire_due_timers(runtime)
        await check_sla(runtime)
        await runtime.clock.sleep(runtime.settings.dispatch_timer_tick_s)
