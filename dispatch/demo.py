"""About fifteen made-up providers in Hohhot's districts and a few orders; same every time."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch import offers, orders
from dispatch import providers as provider_service
from dispatch.catalogue import ServiceCode
from dispatch.events import Outbox
from dispatch.lifecycle import OrderEvent
from dispatch.models import Provider
from dispatch.policy import DispatchPolicy
from dispatch.schemas import OrderCreate, ProviderCreate, ProviderKind, Urgency
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.demo import HOHHOT

S = ServiceCode
# (name, district index in seniors.demo.HOHHOT, services, certifications, capacity)
FIRMS: tuple[tuple[str, int, tuple[ServiceCode, ...], tuple[str, ...], int], ...] = (
    ("青城助老服务中心", 0, (S.MEALS, S.CLEANING, S.COMPANIONSHIP), (), 6),
    ("塞外家政服务公司", 3, (S.CLEANING, S.REPAIRS, S.ESCORT), ("electrician",), 4),
    (
        "北疆护理站",
        1,
        (S.NURSING, S.BATHING, S.MEDICAL_VISIT),
        ("nurse", "care_worker", "doctor"),
        3,
    ),
)
WORKERS: tuple[tuple[str, int, tuple[ServiceCode, ...], tuple[str, ...]], ...] = (
    ("王桂芳", 0, (S.MEALS, S.CLEANING, S.BATHING), ("care_worker",)),
    ("李建国", 0, (S.REPAIRS,), ("electrician",)),
    ("张秀兰", 1, (S.NURSING, S.BATHING), ("nurse", "care_worker")),
    ("刘德胜", 1, (S.EMERGENCY_RESPONDER, S.ESCORT), ("first_aid",)),
    ("陈玉珍", 2, (S.MEALS, S.COMPANIONSHIP, S.CLEANING), ()),
    ("杨振华", 2, (S.EMERGENCY_RESPONDER,), ("first_aid",)),
    ("赵其其格", 3, (S.NURSING, S.MEDICAL_VISIT), ("nurse", "doctor")),
    ("黄宝山", 3, (S.REPAIRS, S.CLEANING), ("electrician",)),
    ("周乌云", 4, (S.MEALS, S.CLEANING, S.COMPANIONSHIP), ()),
    ("吴长海", 5, (S.EMERGENCY_RESPONDER, S.ESCORT), ("first_aid",)),
    ("孙金花", 6, (S.BATHING, S.CLEANING), ("care_worker",)),
    ("马巴特尔", 8, (S.MEALS, S.REPAIRS), ("electrician",)),
)


def _provider(
    rng: random.Random,
    name: str,
    district: int,
    services: tuple[ServiceCode, ...],
    certifications: tuple[str, ...],
    *,
    kind: ProviderKind,
    capacity: int,
    firm_id: int | None = None,
) -> ProviderCreate:
    place = HOHHOT[district]
    return ProviderCreate(
        kind=kind,
        firm_id=firm_id,
        name=name,
        phone=f"1390471{rng.randrange(10**4):04d}",
        services=list(services),
        certifications=list(certifications),
        districts=[place.name],
        work_start_minute=0,
        work_end_minute=0,
        capacity=capacity,
        latitude=place.latitude + rng.uniform(-0.02, 0.02),
        longitude=place.longitude + rng.uniform(-0.02, 0.02),
        area_latitude=place.latitude,
        area_longitude=place.longitude,
        area_radius_km=12.0,
    )


async def seed_providers(session: AsyncSession, *, now: datetime) -> int:
    """Seed the demo providers unless some exist; returns how many were added."""
    if await session.scalar(select(func.count()).select_from(Provider)):
        return 0
    rng = random.Random(12349)
    firm_ids = []
    for name, district, services, certs, capacity in FIRMS:
        firm = await provider_service.create_provider(
            session,
            now=now,
            data=_provider(
                rng, name, district, services, certs, kind=ProviderKind.FIRM, capacity=capacity
            ),
        )
        firm_ids.append(firm.id)
    for index, (name, district, services, certs) in enumerate(WORKERS):
        await provider_service.create_provider(
            session,
            now=now,
            data=_provider(
                rng,
                name,
                district,
                services,
                certs,
                kind=ProviderKind.WORKER,
                capacity=2,
                firm_id=firm_ids[index % len(firm_ids)],
            ),
        )
    return len(FIRMS) + len(WORKERS)


async def seed_orders(session: AsyncSession, *, policy: DispatchPolicy, now: datetime) -> int:
    """A few orders in different states: offered, accepted, escalated."""
    seniors = await seniors_service.first_seniors(session, limit=6, include_archived=True)
    if len(seniors) < 3:
        return 0
    wanted = (
        (seniors[0], S.MEALS, Urgency.SAME_DAY),
        (seniors[1], S.CLEANING, Urgency.SAME_DAY),
        (seniors[2], S.EMERGENCY_RESPONDER, Urgency.URGENT),
    )
    outbox = Outbox()  # nobody listens while the demo is seeded at start-up
    created = []
    for senior, code, urgency in wanted:
        order = await orders.new_order(
            session,
            data=OrderCreate(senior_id=senior.id, service=code, urgency=urgency, notes="演示订单"),
            actor="demo",
            policy=policy,
            now=now,
        )
        orders.transition(
            session,
            order,
            OrderEvent.START_MATCHING,
            actor="demo",
            reason="matching started",
            now=now,
            outbox=outbox,
        )
        await offers.match_order(
            session, order, policy=policy, now=now, actor="system", outbox=outbox
        )
        created.append(order)
    open_now = await offers.open_offers(session, created[1].id)
    if open_now:
        await offers.accept_offer(
            session,
            token=open_now[0].token,
            provider_id=open_now[0].provider_id,
            order_id=created[1].id,
            now=now,
            outbox=outbox,
        )
    return len(created)


async def seed_dispatch(runtime: Runtime) -> tuple[int, int]:
    """Providers, then a few orders if providers were new; idempotent."""
    now = runtime.clock.now()
    policy = DispatchPolicy.from_settings(runtime.settings)
    async with runtime.sessions() as session:
        providers = await seed_providers(session, now=now)
        await session.flush()
        order_count = await seed_orders(session, policy=policy, now=now) if providers else 0
        await session.commit()
    return providers, order_count
