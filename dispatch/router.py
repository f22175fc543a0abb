"""HTTP routes for staff: catalogue, providers, orders, the dispatch board, batch runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from dispatch import board, flows, orders, schedules, service
from dispatch import providers as provider_service
from dispatch.batch import assign_batch
from dispatch.catalogue import CATALOGUE, SUBSIDY_COVERAGE
from dispatch.events import Outbox
from dispatch.exceptions import BadLink, DispatchError, InvalidRequest, NotFound, OfferClosed
from dispatch.lifecycle import OrderState
from dispatch.models import ServiceOrder
from dispatch.policy import DispatchPolicy
from dispatch.schemas import (
    BatchIn,
    BlockIn,
    ComplaintIn,
    OfferOut,
    OrderCreate,
    OrderOut,
    ProviderCreate,
    ProviderCreated,
    ProviderDetail,
    ProviderKpis,
    ProviderOut,
    ProviderStatusIn,
    ProviderUpdate,
    RatingIn,
    ReasonIn,
    ReassignIn,
    ScheduleCreate,
    ScheduleOut,
    ScheduleUpdate,
    TransitionOut,
    WebhookSecretOut,
)
from runtime.context import Runtime
from runtime.deps import RuntimeDep, SessionDep
from seniors.exceptions import SeniorNotFoundError
from storage.bounds import Limit, RowId

router = APIRouter(prefix="/api/v1", tags=["dispatch"])

Dispatcher = Annotated[StaffUser, Depends(require_roles({Role.DISPATCHER, Role.SUPERVISOR}))]
OrderDesk = Annotated[
    StaffUser, Depends(require_roles({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR}))
]
AnyStaff = Annotated[StaffUser, Depends(require_roles(set(Role)))]

STATUS_OF: dict[type[DispatchError], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    OfferClosed: status.HTTP_409_CONFLICT,
    InvalidRequest: 422,
    BadLink: status.HTTP_403_FORBIDDEN,
}


@contextmanager
def translated() -> Iterator[None]:
    """Domain errors become one HTTP answer each, with the domain's message."""
    try:
        yield
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except DispatchError as error:
        code = STATUS_OF.get(type(error), status.HTTP_409_CONFLICT)
        raise HTTPException(code, str(error)) from error


@router.get("/catalogue")
async def catalogue(user: AnyStaff) -> list[dict[str, Any]]:
    return [
        {
            "code": s.code.value,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "duration_minutes": s.duration_minutes,
            "price_fen": s.price_fen,
            "certification": s.certification,
            "subsidy": {
                cat: shares[s.code] for cat, shares in SUBSIDY_COVERAGE.items() if s.code in shares
            },
        }
        for s in CATALOGUE.values()
    ]


# --- providers -----------------------------------------------------------------------------


@router.post("/providers", status_code=status.HTTP_201_CREATED)
async def create_provider(
    body: ProviderCreate, user: Dispatcher, runtime: RuntimeDep
) -> ProviderCreated:
    """A new provider; the answer carries its webhook secret, shown this once."""
    with translated():
        provider, secret = await flows.register_provider(runtime, data=body, actor=user.username)
    return ProviderCreated(
        **ProviderOut.model_validate(provider).model_dump(), webhook_secret=secret
    )


@router.post("/providers/{provider_id}/webhook-secret")
async def rotate_webhook_secret(
    provider_id: RowId, user: Dispatcher, runtime: RuntimeDep
) -> WebhookSecretOut:
    """A new webhook secret for the provider, shown this once; the old one stops working."""
    with translated():
        secret = await flows.rotate_webhook_secret(
            runtime, provider_id=provider_id, actor=user.username
        )
    return WebhookSecretOut(provider_id=provider_id, webhook_secret=secret)


@router.get("/providers")
async def list_providers(user: OrderDesk, session: SessionDep) -> list[ProviderOut]:
    return [ProviderOut.model_validate(p) for p in await provider_service.list_providers(session)]


@router.get("/providers/{provider_id}")
async def read_provider(provider_id: RowId, user: OrderDesk, session: SessionDep) -> ProviderDetail:
    """A provider with its KPIs and, for a firm, its workers."""
    with translated():
        provider = await provider_service.get_provider(session, provider_id)
        workers = await provider_service.workers_of(session, provider_id)
    return ProviderDetail(
        **ProviderOut.model_validate(provider).model_dump(),
        kpis=provider_service.kpis_of(provider),
        workers=[ProviderOut.model_validate(w) for w in workers],
    )


@router.patch("/providers/{provider_id}")
async def update_provider(
    provider_id: RowId, body: ProviderUpdate, user: Dispatcher, runtime: RuntimeDep
) -> ProviderOut:
    """Edit services, certifications, area, hours, capacity, channel; suspend or reactivate."""
    with translated():
        provider = await flows.update_provider(
            runtime, provider_id=provider_id, changes=body, actor=user.username
        )
    return ProviderOut.model_validate(provider)


@router.put("/providers/{provider_id}/status")
async def set_provider_status(
    provider_id: RowId, body: ProviderStatusIn, user: Dispatcher, runtime: RuntimeDep
) -> ProviderOut:
    """The same as a PATCH of ``status`` alone (kept for existing clients)."""
    with translated():
        provider = await flows.update_provider(
            runtime,
            provider_id=provider_id,
            changes=ProviderUpdate(status=body.status),
            actor=user.username,
        )
    return ProviderOut.model_validate(provider)


@router.get("/providers/{provider_id}/kpis")
async def provider_kpis(provider_id: RowId, user: OrderDesk, session: SessionDep) -> ProviderKpis:
    with translated():
        return provider_service.kpis_of(await provider_service.get_provider(session, provider_id))


@router.post("/providers/{provider_id}/blocks", status_code=status.HTTP_204_NO_CONTENT)
async def block_provider(
    provider_id: RowId, body: BlockIn, user: OrderDesk, runtime: RuntimeDep, session: SessionDep
) -> None:
    """The senior does not want this provider again; matching will pass them over."""
    with translated():
        await provider_service.block_provider(
            session, senior_id=body.senior_id, provider_id=provider_id, reason=body.reason
        )
    await accounts_service.record_audit(
        session,
        actor=user.username,
        action="dispatch.provider_blocked",
        subject_type="senior",
        subject_id=str(body.senior_id),
        now=runtime.clock.now(),
        detail={"provider_id": provider_id, "reason": body.reason},
    )
    await session.commit()


# --- orders --------------------------------------------------------------------------------


@router.post("/orders", status_code=status.HTTP_201_CREATED)
async def create_order(body: OrderCreate, user: OrderDesk, runtime: RuntimeDep) -> OrderOut:
    with translated():
        order = await flows.create_order(runtime, data=body, actor=user.username)
    return OrderOut.model_validate(order)


@router.get("/orders")
async def list_orders(
    user: OrderDesk,
    runtime: RuntimeDep,
    session: SessionDep,
    state: Annotated[OrderState | None, Query()] = None,
    senior_id: RowId | None = None,
    limit: Limit = 200,
    archived: Annotated[bool, Query(description="include archived records")] = False,
) -> list[OrderOut]:
    """Newest first; with ``senior_id``, one senior's orders (a read of their record: audited)."""
    orders = await board.list_orders(session, state=state, senior_id=senior_id, limit=limit,
                                     include_archived=archived)
    if senior_id is not None:
        await accounts_service.record_audit(
            session,
            actor=user.username,
            action="dispatch.orders_viewed",
            subject_type="senior",
            subject_id=str(senior_id),
            now=runtime.clock.now(),
        )
        await session.commit()
    return [OrderOut.model_validate(o) for o in orders]


@router.get("/orders/{order_id}")
async def read_order(order_id: RowId, user: OrderDesk, session: SessionDep) -> OrderOut:
    with translated():
        return OrderOut.model_validate(await orders.get_order(session, order_id))


@router.get("/orders/{order_id}/timeline")
async def order_timeline(
    order_id: RowId, user: OrderDesk, session: SessionDep
) -> list[TransitionOut]:
    with translated():
        return [TransitionOut.model_validate(t) for t in await orders.timeline(session, order_id)]


@router.get("/orders/{order_id}/offers")
async def order_offers(order_id: RowId, user: OrderDesk, session: SessionDep) -> list[OfferOut]:
    with translated():
        await orders.get_order(session, order_id)
        return [OfferOut.model_validate(o) for o in await orders.offers_of(session, order_id)]


# What a staff route does to a loaded order inside the transaction.
StaffWork = Callable[
    [AsyncSession, ServiceOrder, DispatchPolicy, datetime, Outbox], Awaitable[None]
]


async def _staff_step(
    runtime: Runtime,
    *,
    order_id: RowId,
    user: StaffUser,
    action: str,
    detail: dict[str, Any],
    work: StaffWork,
) -> OrderOut:
    """Load the order, run ``work``, audit against the senior, commit, announce."""

    async def step(
        session: AsyncSession, policy: DispatchPolicy, now: datetime, outbox: Outbox
    ) -> ServiceOrder:
        order = await orders.get_order(session, order_id)
        await work(session, order, policy, now, outbox)
        await accounts_service.record_audit(
            session,
            actor=user.username,
            action=f"dispatch.{action}",
            subject_type="senior",
            subject_id=str(order.senior_id),
            now=now,
            detail={"order_id": order_id, **detail},
        )
        return order

    with translated():
        order = await flows.run_step(runtime, step)
    return OrderOut.model_validate(order)


@router.post("/orders/{order_id}/cancel")
async def cancel_order(
    order_id: RowId, body: ReasonIn, user: OrderDesk, runtime: RuntimeDep
) -> OrderOut:
    async def work(
        session: AsyncSession,
        order: ServiceOrder,
        policy: DispatchPolicy,
        now: datetime,
        outbox: Outbox,
    ) -> None:
        await service.cancel_order(
            session, order=order, actor=user.username, reason=body.reason, now=now, outbox=outbox
        )

    return await _staff_step(
        runtime,
        order_id=order_id,
        user=user,
        action="order_cancelled",
        detail={"reason": body.reason},
        work=work,
    )


@router.post("/orders/{order_id}/reassign")
async def reassign_order(
    order_id: RowId, body: ReassignIn, user: Dispatcher, runtime: RuntimeDep
) -> OrderOut:
    async def work(
        session: AsyncSession,
        order: ServiceOrder,
        policy: DispatchPolicy,
        now: datetime,
        outbox: Outbox,
    ) -> None:
        await service.reassign_order(
            session,
            order=order,
            provider_id=body.provider_id,
            actor=user.username,
            reason=body.reason,
            policy=policy,
            now=now,
            outbox=outbox,
        )

    return await _staff_step(
        runtime,
        order_id=order_id,
        user=user,
        action="order_reassigned",
        detail={"provider_id": body.provider_id},
        work=work,
    )


@router.post("/orders/{order_id}/rematch")
async def rematch_order(
    order_id: RowId, body: ReasonIn, user: Dispatcher, runtime: RuntimeDep
) -> OrderOut:
    async def work(
        session: AsyncSession,
        order: ServiceOrder,
        policy: DispatchPolicy,
        now: datetime,
        outbox: Outbox,
    ) -> None:
        await service.rematch_order(
            session,
            order=order,
            actor=user.username,
            reason=body.reason,
            policy=policy,
            now=now,
            outbox=outbox,
        )

    return await _staff_step(
        runtime,
        order_id=order_id,
        user=user,
        action="order_rematched",
        detail={"reason": body.reason},
        work=work,
    )


@router.post("/orders/{order_id}/rating")
async def rate_order(
    order_id: RowId, body: RatingIn, user: OrderDesk, runtime: RuntimeDep
) -> OrderOut:
    async def work(
        session: AsyncSession,
        order: ServiceOrder,
        policy: DispatchPolicy,
        now: datetime,
        outbox: Outbox,
    ) -> None:
        await service.rate_order(
            session,
            order=order,
            stars=body.stars,
            comment=body.comment,
            actor=user.username,
            now=now,
            outbox=outbox,
        )

    return await _staff_step(
        runtime,
        order_id=order_id,
        user=user,
        action="order_rated",
        detail={"stars": body.stars},
        work=work,
    )


@router.post("/orders/{order_id}/complaints", status_code=status.HTTP_201_CREATED)
async def add_complaint(
    order_id: RowId, body: ComplaintIn, user: OrderDesk, runtime: RuntimeDep
) -> OrderOut:
    async def work(
        session: AsyncSession,
        order: ServiceOrder,
        policy: DispatchPolicy,
        now: datetime,
        outbox: Outbox,
    ) -> None:
        await service.add_complaint(
            session, order=order, text=body.text, actor=user.username, now=now, outbox=outbox
        )

    return await _staff_step(
        runtime,
        order_id=order_id,
        user=user,
        action="complaint_recorded",
        detail={"text": body.text},
        work=work,
    )


# --- recurring visits ----------------------------------------------------------------------


@router.post("/schedules", status_code=status.HTTP_201_CREATED)
async def create_schedule(
    body: ScheduleCreate, user: OrderDesk, runtime: RuntimeDep, session: SessionDep
) -> ScheduleOut:
    """A recurring visit; its orders are made and assigned ahead of each visit."""
    now = runtime.clock.now()
    with translated():
        schedule = await schedules.create_schedule(
            session, data=body, actor=user.username, now=now
        )
    await accounts_service.record_audit(
        session,
        actor=user.username,
        action="dispatch.schedule_created",
        subject_type="senior",
        subject_id=str(body.senior_id),
        now=now,
        detail={"schedule_id": schedule.id, "service": schedule.service},
    )
    await session.commit()
    return ScheduleOut.model_validate(schedule)


@router.get("/schedules")
async def list_schedules(
    user: OrderDesk,
    session: SessionDep,
    senior_id: RowId | None = None,
) -> list[ScheduleOut]:
    found = await schedules.list_schedules(session, senior_id=senior_id)
    return [ScheduleOut.model_validate(s) for s in found]


@router.patch("/schedules/{schedule_id}")
async def update_schedule(
    schedule_id: RowId,
    body: ScheduleUpdate,
    user: OrderDesk,
    runtime: RuntimeDep,
    session: SessionDep,
) -> ScheduleOut:
    """Change days or time, or pause (``active: false``) and resume a schedule."""
    with translated():
        schedule = await schedules.update_schedule(
            session, schedule_id=schedule_id, changes=body
        )
    await accounts_service.record_audit(
        session,
        actor=user.username,
        action="dispatch.schedule_updated",
        subject_type="senior",
        subject_id=str(schedule.senior_id),
        now=runtime.clock.now(),
        detail={"schedule_id": schedule_id, **body.model_dump(mode="json", exclude_none=True)},
    )
    await session.commit()
    return ScheduleOut.model_validate(schedule)


# --- the board and batch runs --------------------------------------------------------------


@router.get("/dispatch/board")
async def dispatch_board(
    user: OrderDesk, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return await board.snapshot(session, now=runtime.clock.now())


@router.post("/dispatch/batch")
async def batch_assign(body: BatchIn, user: Dispatcher, runtime: RuntimeDep) -> dict[str, Any]:
    """Assign waiting scheduled orders together (one cost matrix); offers go out as usual."""
    with translated():
        result = await assign_batch(runtime, order_ids=body.order_ids, actor=user.username)
    return {"assigned": result.assigned, "unassigned": result.unassigned}
