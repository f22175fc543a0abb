"""Runtime-level steps: open a transaction, run the service, commit, then announce.

Other domains call ``create_order`` (an operator during a call, a green-key press, an alarm's
responder, a schedule). Announcements (bus events, offers to providers) go out only after the
commit, so nobody hears of an order the database does not hold.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends
from pydantic import HttpUrl
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts import service as accounts_service
from dispatch import candidates, offers, orders, service, timers, webhook_targets
from dispatch import providers as provider_service
from dispatch.candidates import CandidateIndex
from dispatch.events import Outbox
from dispatch.lifecycle import OrderEvent
from dispatch.models import Provider, ServiceOrder
from dispatch.notify import (
    MessagePortSmsSender,
    ProviderNotifier,
    SmsSender,
    WebhookNotifier,
    deliver_offer,
)
from dispatch.policy import DispatchPolicy
from dispatch.schemas import (
    OrderCreate,
    ProviderAction,
    ProviderCreate,
    ProviderStatus,
    ProviderUpdate,
)
from messaging.lifespan import MESSAGING
from runtime.context import Runtime
from runtime.deps import part_dependency
from runtime.parts import Part

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class DispatchRuntime:
    """Dispatch's resources: the policy read from settings and the provider channels."""

    policy: DispatchPolicy
    webhook: ProviderNotifier
    sms: SmsSender
    candidates: CandidateIndex = field(default_factory=CandidateIndex)


@dataclass(frozen=True)
class StoredWebhookSecrets:
    """Providers' webhook secrets, read from their rows and opened when a webhook goes out."""

    sessions: async_sessionmaker[AsyncSession]
    key: bytes

    async def secret_of(self, provider_id: int) -> str | None:
        async with self.sessions() as session:
            return await provider_service.webhook_secret_of(
                session, provider_id=provider_id, key=self.key
            )


@asynccontextmanager
async def dispatch_lifespan(runtime: Runtime) -> AsyncIterator[DispatchRuntime]:
    """Open the webhook HTTP client; SMS goes out through the message port."""
    policy = DispatchPolicy.from_settings(runtime.settings)
    webhook_secrets = StoredWebhookSecrets(runtime.sessions, policy.webhook_secret_key)
    async with webhook_targets.guarded_client(demo=runtime.settings.demo) as client:
        dispatch = DispatchRuntime(policy=policy, webhook=WebhookNotifier(client, webhook_secrets),
                                   sms=MessagePortSmsSender(runtime))
        # Matching reads providers from memory; a restart builds the index afresh.
        async with runtime.sessions() as session:
            await dispatch.candidates.rebuild(session, now=runtime.clock.now())
        yield dispatch


# Providers' SMS offers go out through the message port.
DISPATCH = Part("dispatch", dispatch_lifespan, needs=(MESSAGING,))
DispatchDep = Annotated[DispatchRuntime, Depends(part_dependency(DISPATCH))]


def dispatch_of(runtime: Runtime) -> DispatchRuntime:
    return runtime.part(DISPATCH)


async def announce(runtime: Runtime, outbox: Outbox) -> None:
    parts = dispatch_of(runtime)
    parts.candidates.mark_changed(outbox.providers)
    for item in outbox.publications:
        runtime.bus.publish(item.topic, item.data, roles=item.roles)
    for notice in outbox.offers:
        await deliver_offer(notice, webhook=parts.webhook, sms=parts.sms)


Step = Callable[[AsyncSession, DispatchPolicy, datetime, Outbox], Awaitable[T]]


async def run_step(runtime: Runtime, step: Step[T]) -> T:
    """One transaction: the step, the commit, then the announcements."""
    outbox = Outbox()
    parts = dispatch_of(runtime)
    async with runtime.sessions() as session:
        candidates.attach(session, parts.candidates)
        result = await step(session, parts.policy, runtime.clock.now(), outbox)
        await runtime.leases.fence(session)  # a timer fires under the lease holder only
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

    return await run_step(runtime, step)


async def _check_webhook(runtime: Runtime, url: HttpUrl | None) -> None:
    """Outside demo mode a webhook must reach a public address (InvalidRequest says why)."""
    if url is not None and not runtime.settings.demo:
        await webhook_targets.check_webhook_url(str(url))


async def register_provider(
    runtime: Runtime, *, data: ProviderCreate, actor: str
) -> tuple[Provider, str]:
    """A new provider with its own webhook secret (returned this once), audited; matching
    finds them at once."""
    await _check_webhook(runtime, data.webhook_url)

    async def step(
        session: AsyncSession, policy: DispatchPolicy, now: datetime, outbox: Outbox
    ) -> tuple[Provider, str]:
        provider = await provider_service.create_provider(session, data=data, now=now)
        secret = await provider_service.issue_webhook_secret(
            session, provider_id=provider.id, key=policy.webhook_secret_key
        )
        await accounts_service.record_audit(
            session,
            actor=actor,
            action="dispatch.provider_created",
            subject_type="provider",
            subject_id=str(provider.id),
            now=now,
        )
        outbox.provider_changed(provider.id)
        return provider, secret

    return await run_step(runtime, step)


async def rotate_webhook_secret(runtime: Runtime, *, provider_id: int, actor: str) -> str:
    """Replace a provider's webhook secret (audited); the new one is returned this once."""

    async def step(
        session: AsyncSession, policy: DispatchPolicy, now: datetime, outbox: Outbox
    ) -> str:
        secret = await provider_service.issue_webhook_secret(
            session, provider_id=provider_id, key=policy.webhook_secret_key
        )
        await accounts_service.record_audit(
            session,
            actor=actor,
            action="dispatch.webhook_secret_rotated",
            subject_type="provider",
            subject_id=str(provider_id),
            now=now,
        )
        return secret

    return await run_step(runtime, step)


async def update_provider(
    runtime: Runtime, *, provider_id: int, changes: ProviderUpdate, actor: str
) -> Provider:
    """Edit a provider; a suspension also withdraws its open offers (and its workers')."""
    await _check_webhook(runtime, changes.webhook_url)

    async def step(
        session: AsyncSession, policy: DispatchPolicy, now: datetime, outbox: Outbox
    ) -> Provider:
        changed = await provider_service.update_provider(
            session, provider_id=provider_id, changes=changes
        )
        touched = [provider_id]
        if changes.status is not None:
            touched = await provider_service.set_status(
                session, provider_id=provider_id, status=changes.status
            )
            changed["status"] = changes.status.value
            if changes.status == ProviderStatus.SUSPENDED:
                await offers.withdraw_offers_to(
                    session, provider_ids=touched, policy=policy, now=now, outbox=outbox
                )
        for each in touched:
            outbox.provider_changed(each)
        await accounts_service.record_audit(
            session,
            actor=actor,
            action="dispatch.provider_updated",
            subject_type="provider",
            subject_id=str(provider_id),
            now=now,
            detail={"changed": changed, "providers": touched},
        )
        return await provider_service.get_provider(session, provider_id)

    return await run_step(runtime, step)


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
                session,
                token=offer_token,
                provider_id=provider_id,
                order_id=order_id,
                now=now,
                outbox=outbox,
            )
        if action == ProviderAction.DECLINE:
            return await offers.decline_offer(
                session,
                token=offer_token,
                provider_id=provider_id,
                order_id=order_id,
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

    return await run_step(runtime, step)


async def fire_due_timers(runtime: Runtime) -> int:
    """Fire every due timer, each in its own transaction; returns how many this instance fired
    (another instance on the same database may have claimed some of them first)."""
    async with runtime.sessions() as session:
        due = await timers.due_timers(session, runtime.clock.now())
    fired = 0
    for timer_id in due:

        async def step(
            session: AsyncSession,
            policy: DispatchPolicy,
            now: datetime,
            outbox: Outbox,
            timer_id: int = timer_id,
        ) -> bool:
            return await timers.fire_timer(
                session, timer_id=timer_id, policy=policy, now=now, outbox=outbox
            )

        fired += await run_step(runtime, step)
    return fired


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
        await rebuild_candidates_when_old(runtime)
        await runtime.clock.sleep(runtime.settings.dispatch_timer_tick_s)


async def rebuild_candidates_when_old(runtime: Runtime) -> bool:
    """Reload every provider now and then: other instances' edits, idle clocks."""
    index = dispatch_of(runtime).candidates
    now = runtime.clock.now()
    age = None if index.built_at is None else (now - index.built_at).total_seconds()
    if age is not None and age < runtime.settings.dispatch_index_rebuild_s:
        return False
    async with runtime.sessions() as session:
        await index.rebuild(session, now=now)
    return True
