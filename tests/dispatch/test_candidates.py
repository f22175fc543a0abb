"""The in-memory candidate index: same answers as the database, and never trusted blindly."""

from __future__ import annotations

import random
from datetime import timedelta

import httpx
from sqlalchemy import update

from dispatch import candidates, offers
from dispatch import providers as provider_service
from dispatch.candidates import CandidateIndex
from dispatch.catalogue import ServiceCode
from dispatch.flows import dispatch_of
from dispatch.matching import MatchRequest
from dispatch.models import Provider
from dispatch.notify import FakeNotifier, LoggingSmsSender
from dispatch.schemas import ProviderCreate
from runtime.context import Runtime
from tests.dispatch.conftest import SENIOR_AT, AddProvider
from tests.dispatch.steps import create_order, open_offers

Channels = tuple[FakeNotifier, LoggingSmsSender]
DISTRICTS = ("新城区", "赛罕区", "回民区")


def random_provider(rng: random.Random, index: int) -> ProviderCreate:
    """A provider somewhere around the senior: by district, by radius, or both."""
    by_radius = rng.random() < 0.3
    start = rng.choice([0, 8 * 60, 20 * 60])
    return ProviderCreate(
        name=f"p{index}",
        services=rng.sample(list(ServiceCode), k=3),
        certifications=rng.sample(["first_aid", "care_worker", "nurse", "doctor"], k=2),
        districts=[] if by_radius and rng.random() < 0.5 else [rng.choice(DISTRICTS)],
        area_latitude=SENIOR_AT[0] + rng.uniform(-0.2, 0.2) if by_radius else None,
        area_longitude=SENIOR_AT[1] + rng.uniform(-0.2, 0.2) if by_radius else None,
        area_radius_km=rng.uniform(2, 15) if by_radius else None,
        work_start_minute=start,
        work_end_minute=(start + rng.choice([0, 8 * 60, 10 * 60])) % (24 * 60),
        capacity=rng.choice([1, 2]),
        latitude=SENIOR_AT[0] + rng.uniform(-0.15, 0.15) if rng.random() < 0.9 else None,
        longitude=SENIOR_AT[1] + rng.uniform(-0.15, 0.15),
    )


async def test_the_index_ranks_exactly_as_the_database_filter_does(runtime: Runtime) -> None:
    """On 300 mixed providers (some suspended, some full) and 40 requests, the index finds the
    same eligible providers with the same scores, or the same reason for finding none."""
    rng = random.Random(3)
    now = runtime.clock.now()
    policy = dispatch_of(runtime).policy
    async with runtime.sessions() as session:
        for i in range(300):
            provider = await provider_service.create_provider(
                session, data=random_provider(rng, i), now=now
            )
            provider.status = "suspended" if rng.random() < 0.1 else "active"
            provider.active_jobs = rng.choice([0, 0, 1, 2])
        await session.commit()
    index = CandidateIndex()
    compared = 0
    async with runtime.sessions() as session:
        await index.rebuild(session, now=now)
        for _ in range(40):
            request = MatchRequest(
                service=rng.choice(list(ServiceCode)),
                district=rng.choice(DISTRICTS),
                latitude=SENIOR_AT[0] + rng.uniform(-0.1, 0.1),
                longitude=SENIOR_AT[1] + rng.uniform(-0.1, 0.1),
                local_minute=rng.randrange(24 * 60),
                now=now,
                service_at=now,
                due_by=now + timedelta(minutes=rng.choice([20, 45, 240])),
                excluded=frozenset(rng.sample(range(1, 301), k=20)),
            )
            from_sql = await offers.rank_from_database(
                session, request, policy=policy, now=now, limit=500
            )
            candidates.attach(session, index)
            from_index = await offers.rank_providers(
                session, request, policy=policy, now=now, limit=500
            )
            session.info.clear()
            assert sorted((r.provider_id, round(r.score, 9)) for r in from_index.ranked) == sorted(
                (r.provider_id, round(r.score, 9)) for r in from_sql.ranked
            )
            assert from_index.reason == from_sql.reason
            compared += len(from_sql.ranked)
    assert compared > 100  # the requests found real candidates, not only empty answers


async def test_a_provider_suspended_or_filled_elsewhere_gets_no_offer(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Another instance suspends the nearest provider and fills the next one, unseen by this
    index: the offer still goes to the one provider who is active with room."""
    nearest = await add_provider("nearest", km_north=0.2)
    full = await add_provider("full", km_north=0.5)
    free = await add_provider("free", km_north=4)
    async with runtime.sessions() as session:
        await session.execute(
            update(Provider).where(Provider.id == nearest).values(status="suspended")
        )
        await session.execute(update(Provider).where(Provider.id == full).values(active_jobs=2))
        await session.commit()
    order = await create_order(client, dispatcher, senior_id)
    assert list(await open_offers(runtime, order["id"])) == [free]


async def test_a_provider_registered_by_another_instance_is_offered_work(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    channels: Channels,
) -> None:
    """A provider written straight to the database (not through this process) is matched."""
    async with runtime.sessions() as session:
        provider = await provider_service.create_provider(
            session,
            data=ProviderCreate(
                name="elsewhere",
                services=["cleaning"],
                districts=["新城区"],
                work_start_minute=0,
                work_end_minute=0,
                latitude=SENIOR_AT[0],
                longitude=SENIOR_AT[1],
            ),
            now=runtime.clock.now(),
        )
        await session.commit()
    order = await create_order(client, dispatcher, senior_id)
    assert list(await open_offers(runtime, order["id"])) == [provider.id]
