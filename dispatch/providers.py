"""Providers: registration, status, blocks by seniors, KPIs, and their rows as candidates."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, and_, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.catalogue import CATALOGUE, ServiceCode
from dispatch.exceptions import InvalidRequest, NotFound
from dispatch.matching import (
    NEUTRAL_RATING,
    ROAD_FACTOR,
    Candidate,
    CandidatePool,
    MatchRequest,
    Weights,
)
from dispatch.models import Provider, ProviderBlock
from dispatch.schemas import ProviderCreate, ProviderKpis, ProviderStatus


async def create_provider(session: AsyncSession, *, data: ProviderCreate,
                          now: datetime) -> Provider:
    if data.firm_id is not None:
        firm = await get_provider(session, data.firm_id)
        if firm.kind != "firm":
            raise InvalidRequest(f"provider {data.firm_id} is not a firm")
    fields = data.model_dump(mode="json")
    provider = Provider(**fields, created_at=now)
    session.add(provider)
    await session.flush()
    return provider


async def get_provider(session: AsyncSession, provider_id: int) -> Provider:
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"provider {provider_id} does not exist")
    return provider


async def list_providers(session: AsyncSession) -> Sequence[Provider]:
    return (await session.scalars(select(Provider).order_by(Provider.id))).all()


async def set_status(session: AsyncSession, *, provider_id: int,
                     status: ProviderStatus) -> Provider:
    provider = await get_provider(session, provider_id)
    provider.status = status.value
    return provider


async def block_provider(session: AsyncSession, *, senior_id: int, provider_id: int,
                         reason: str) -> None:
    await get_provider(session, provider_id)
    exists = await session.scalar(select(ProviderBlock.id).where(
        ProviderBlock.senior_id == senior_id, ProviderBlock.provider_id == provider_id))
    if exists is None:
        session.add(ProviderBlock(senior_id=senior_id, provider_id=provider_id, reason=reason))


async def blocked_by(session: AsyncSession, senior_id: int) -> set[int]:
    rows = await session.scalars(
        select(ProviderBlock.provider_id).where(ProviderBlock.senior_id == senior_id))
    return set(rows)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def kpis_of(p: Provider) -> ProviderKpis:
    return ProviderKpis(
        provider_id=p.id,
        offers_received=p.offers_received,
        acceptance_rate=_ratio(p.offers_accepted, p.offers_received),
        mean_seconds_to_accept=_ratio(p.accept_seconds_sum, p.offers_accepted),
        on_time_arrival_rate=_ratio(p.arrivals_on_time, p.arrivals),
        completion_rate=_ratio(p.jobs_completed, p.jobs_accepted),
        rating=_ratio(p.rating_sum, p.rating_count),
        complaints=p.complaints,
    )


def reliability_of(p: Provider | Row[Any]) -> float:
    """0..1 from acceptance, punctuality and complaints; a newcomer starts at 1."""
    acceptance = _ratio(p.offers_accepted, p.offers_received)
    on_time = _ratio(p.arrivals_on_time, p.arrivals)
    base = ((1.0 if acceptance is None else acceptance) + (1.0 if on_time is None else on_time))
    penalty = min(p.complaints / max(p.jobs_completed, 1), 1.0)
    return base / 2 * (1.0 - 0.5 * penalty)


def candidate_of(p: Provider | Row[Any], now: datetime) -> Candidate:
    if p.active_jobs > 0:
        idle = 0.0
    elif p.last_job_ended_at is None:
        idle = 240.0
    else:
        idle = (now - p.last_job_ended_at).total_seconds() / 60.0
    return Candidate(
        provider_id=p.id, services=frozenset(p.services),
        certifications=frozenset(p.certifications), districts=frozenset(p.districts),
        area_latitude=p.area_latitude, area_longitude=p.area_longitude,
        area_radius_km=p.area_radius_km, work_start_minute=p.work_start_minute,
        work_end_minute=p.work_end_minute, capacity=p.capacity, active_jobs=p.active_jobs,
        latitude=p.latitude, longitude=p.longitude,
        rating=_ratio(p.rating_sum, p.rating_count) or NEUTRAL_RATING,
        reliability=reliability_of(p), idle_minutes=idle,
    )


# Only what matching reads, so that thousands of rows load quickly.
MATCH_COLUMNS = (
    Provider.id, Provider.services, Provider.certifications, Provider.districts,
    Provider.area_latitude, Provider.area_longitude, Provider.area_radius_km,
    Provider.work_start_minute, Provider.work_end_minute, Provider.capacity,
    Provider.active_jobs, Provider.latitude, Provider.longitude, Provider.rating_sum,
    Provider.rating_count, Provider.offers_received, Provider.offers_accepted,
    Provider.arrivals, Provider.arrivals_on_time, Provider.complaints, Provider.jobs_completed,
    Provider.last_job_ended_at,
)


async def load_pool(session: AsyncSession, *, service: ServiceCode | None, now: datetime,
                    near: MatchRequest | None = None, weights: Weights | None = None,
                    with_room: bool = True) -> CandidatePool:
    """Coarse pre-filter in SQL, the exact filters in memory.

    SQL keeps active providers with room who list the service and, given ``near``, whose last
    position lies in the box they could cross before the deadline (a superset of the exact
    travel-time filter; providers with no position are kept).
    """
    query = select(*MATCH_COLUMNS).where(Provider.status == ProviderStatus.ACTIVE.value)
    if with_room:
        query = query.where(Provider.active_jobs < Provider.capacity)
    if service is not None:
        query = query.where(_lists(Provider.services, service.value))
        needed = CATALOGUE[service].certification
        if needed is not None:
            query = query.where(_lists(Provider.certifications, needed))
    if near is not None:
        query = query.where(or_(_lists(Provider.districts, near.district),
                                Provider.area_radius_km.is_not(None)))
    if near is not None and weights is not None and near.latitude is not None \
            and near.longitude is not None:
        minutes = max((near.due_by - now).total_seconds() / 60.0, 0.0)
        reach_km = weights.speed_kmh * minutes / 60.0 / ROAD_FACTOR
        dlat = reach_km / 111.0
        dlon = reach_km / (111.0 * max(math.cos(math.radians(near.latitude)), 0.01))
        query = query.where(or_(Provider.latitude.is_(None), and_(
            Provider.latitude.between(near.latitude - dlat, near.latitude + dlat),
            Provider.longitude.between(near.longitude - dlon, near.longitude + dlon))))
    rows = cast_rows((await session.execute(query)).all())
    return CandidatePool([candidate_of(row, now) for row in rows])


def cast_rows(rows: Sequence[Any]) -> Sequence[Row[Any]]:
    return rows


def _lists(column: Any, value: str) -> Any:
    """A JSON list column that contains ``value`` (a coarse textual test; memory decides)."""
    return cast(column, String).contains(json.dumps(value), autoescape=True)
