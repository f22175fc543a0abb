"""Providers: registration, status, blocks by seniors, KPIs, and their rows as candidates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from areas import service as areas_service
from areas.codes import REGION
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
from dispatch.models import Provider, ProviderBlock, ProviderCoverage
from dispatch.schemas import ProviderCreate, ProviderKpis, ProviderStatus, ProviderUpdate
from dispatch.signing import new_webhook_secret, open_webhook_secret, seal_webhook_secret
from runtime.scope import current_scope
from seniors import service as seniors_service


async def create_provider(
    session: AsyncSession, *, data: ProviderCreate, now: datetime
) -> Provider:
    if data.firm_id is not None:
        firm = await get_provider(session, data.firm_id)
        if firm.kind != "firm":
            raise InvalidRequest(f"provider {data.firm_id} is not a firm")
    fields = data.model_dump(mode="json")
    provider = Provider(**fields, created_at=now,
                        area_code=await _area_of_districts(session, data.districts))
    session.add(provider)
    await session.flush()
    session.add_all(coverage_of(provider))
    return provider


async def _area_of_districts(session: AsyncSession, districts: list[str]) -> str:
    """A provider belongs to the one area its districts lie in, else to the centre that
    registers it (one serving several areas is the parent centre's)."""
    codes = {await areas_service.area_of_district(session, name) for name in districts}
    if len(codes) == 1 and None not in codes:
        return str(next(iter(codes)))
    return areas_service.home_area(current_scope()) or REGION


async def issue_webhook_secret(session: AsyncSession, *, provider_id: int, key: bytes) -> str:
    """A new webhook secret for the provider (the old one stops working); returned once."""
    provider = await get_provider(session, provider_id)
    secret = new_webhook_secret()
    provider.webhook_secret_sealed = seal_webhook_secret(key, secret, provider_id=provider.id)
    return secret


async def webhook_secret_of(session: AsyncSession, *, provider_id: int, key: bytes) -> str | None:
    sealed = await session.scalar(
        select(Provider.webhook_secret_sealed).where(Provider.id == provider_id)
    )
    return None if sealed is None else open_webhook_secret(key, sealed, provider_id=provider_id)


ANY_DISTRICT = "*"
AnySelect = Select[*tuple[Any, ...]]


def coverage_rows(
    *,
    provider_id: int,
    services: list[str],
    certifications: list[str],
    districts: list[str],
    has_radius: bool,
) -> list[dict[str, Any]]:
    """(service, district) pairs the provider can serve; '*' when a radius decides."""
    places = [*districts, *([ANY_DISTRICT] if has_radius else [])]
    able = [
        s for s in services if CATALOGUE[ServiceCode(s)].certification in (None, *certifications)
    ]
    return [{"provider_id": provider_id, "service": s, "district": d} for s in able for d in places]


def coverage_of(provider: Provider) -> list[ProviderCoverage]:
    """The coverage index rows of a provider as it stands."""
    return [
        ProviderCoverage(**row)
        for row in coverage_rows(
            provider_id=provider.id,
            services=provider.services,
            certifications=provider.certifications,
            districts=provider.districts,
            has_radius=provider.area_radius_km is not None,
        )
    ]


async def get_provider(session: AsyncSession, provider_id: int) -> Provider:
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"provider {provider_id} does not exist")
    return provider


async def list_providers(session: AsyncSession) -> Sequence[Provider]:
    return (await session.scalars(select(Provider).order_by(Provider.id))).all()


async def set_status(
    session: AsyncSession, *, provider_id: int, status: ProviderStatus
) -> list[int]:
    """Suspend or reactivate a provider (a firm together with its workers); returns their ids."""
    provider = await get_provider(session, provider_id)
    changed = [provider]
    if provider.kind == "firm":
        changed += (
            await session.scalars(select(Provider).where(Provider.firm_id == provider.id))
        ).all()
    for each in changed:
        each.status = status.value
    return [each.id for each in changed]


# What an edit may change besides the status; the rest of the row is the firm's history.
EDITABLE = (
    "name",
    "phone",
    "services",
    "certifications",
    "districts",
    "area_latitude",
    "area_longitude",
    "area_radius_km",
    "work_start_minute",
    "work_end_minute",
    "capacity",
    "channel",
    "webhook_url",
)


async def update_provider(
    session: AsyncSession, *, provider_id: int, changes: ProviderUpdate
) -> dict[str, Any]:
    """Apply an edit if the provider as edited is still valid; returns the fields changed.

    The edited provider is checked with the same rules as a new one, so an edit that would
    leave it with no service area, or a webhook channel with no URL, changes nothing.
    """
    provider = await get_provider(session, provider_id)
    given = changes.model_dump(mode="json", exclude_unset=True)
    given.pop("status", None)
    current = {name: getattr(provider, name) for name in EDITABLE}
    merged = current | given
    try:
        checked = ProviderCreate.model_validate(
            merged | {"kind": provider.kind, "firm_id": provider.firm_id}
        ).model_dump(mode="json")
    except ValidationError as error:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        raise InvalidRequest(f"provider {provider_id} cannot be changed so: {problems}") from None
    changed = {name: checked[name] for name in EDITABLE if checked[name] != current[name]}
    for name, value in changed.items():
        setattr(provider, name, value)
    if COVERAGE_FIELDS & changed.keys():
        await session.execute(
            delete(ProviderCoverage).where(ProviderCoverage.provider_id == provider.id)
        )
        session.add_all(coverage_of(provider))
    return changed


COVERAGE_FIELDS = frozenset({"services", "certifications", "districts", "area_radius_km"})


async def workers_of(session: AsyncSession, firm_id: int) -> Sequence[Provider]:
    return (
        await session.scalars(
            select(Provider).where(Provider.firm_id == firm_id).order_by(Provider.id)
        )
    ).all()


async def block_provider(
    session: AsyncSession, *, senior_id: int, provider_id: int, reason: str
) -> None:
    await get_provider(session, provider_id)
    await seniors_service.get_senior(session, senior_id)  # 404 naming the senior, not an FK error
    exists = await session.scalar(
        select(ProviderBlock.id).where(
            ProviderBlock.senior_id == senior_id, ProviderBlock.provider_id == provider_id
        )
    )
    if exists is None:
        session.add(ProviderBlock(senior_id=senior_id, provider_id=provider_id, reason=reason))


async def unavailable(session: AsyncSession, provider_ids: Sequence[int]) -> list[int]:
    """Those of ``provider_ids`` that are suspended or have no free slot right now."""
    if not provider_ids:
        return []
    rows = await session.scalars(
        select(Provider.id).where(
            Provider.id.in_(provider_ids),
            or_(
                Provider.status != ProviderStatus.ACTIVE.value,
                Provider.active_jobs >= Provider.capacity,
            ),
        )
    )
    return list(rows)


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


def reliability(
    *,
    received: int,
    accepted: int,
    arrivals: int,
    on_time: int,
    complaints: int,
    completed: int,
    in_hand: int = 0,
    accept_seconds: float = 0.0,
) -> float:
    """0..1 from the KPIs: acceptance, punctuality, completion, speed to accept, complaints.

    Each rate starts at 1 for a newcomer. Completion counts only finished jobs (accepted and
    no longer in hand); speed halves at five minutes' mean time to accept.
    """
    acceptance = accepted / received if received else 1.0
    punctuality = on_time / arrivals if arrivals else 1.0
    finished = accepted - in_hand
    completion = min(completed / finished, 1.0) if finished > 0 else 1.0
    quickness = 1.0 / (1.0 + (accept_seconds / accepted) / 300.0) if accepted else 1.0
    penalty = min(complaints / max(completed, 1), 1.0)
    return (acceptance + punctuality + completion + quickness) / 4 * (1.0 - 0.5 * penalty)


def candidate_of(p: Provider, now: datetime) -> Candidate:
    return candidate_of_row(tuple(getattr(p, column.key) for column in MATCH_COLUMNS), now)


def candidate_of_row(row: Sequence[Any], now: datetime) -> Candidate:
    """A candidate from the values of MATCH_COLUMNS, in that order (fast for thousands)."""
    (
        pid,
        services,
        certifications,
        districts,
        area_lat,
        area_lon,
        radius,
        start,
        end,
        capacity,
        active,
        lat,
        lon,
        rating_sum,
        rating_count,
        received,
        accepted,
        arrivals,
        on_time,
        complaints,
        completed,
        last_ended,
        accept_seconds,
        area_code,
    ) = row
    if active > 0:
        idle = 0.0
    elif last_ended is None:
        idle = 240.0
    else:
        idle = (now - last_ended).total_seconds() / 60.0
    return Candidate(
        provider_id=pid,
        services=frozenset(services),
        certifications=frozenset(certifications),
        districts=frozenset(districts),
        area_latitude=area_lat,
        area_longitude=area_lon,
        area_radius_km=radius,
        work_start_minute=start,
        work_end_minute=end,
        capacity=capacity,
        active_jobs=active,
        latitude=lat,
        longitude=lon,
        rating=rating_sum / rating_count if rating_count else NEUTRAL_RATING,
        reliability=reliability(
            received=received,
            accepted=accepted,
            arrivals=arrivals,
            on_time=on_time,
            complaints=complaints,
            completed=completed,
            in_hand=active,
            accept_seconds=accept_seconds,
        ),
        idle_minutes=idle,
        area_code=area_code,
    )


# Only what matching reads, so that thousands of rows load quickly.
MATCH_COLUMNS = (
    Provider.id,
    Provider.services,
    Provider.certifications,
    Provider.districts,
    Provider.area_latitude,
    Provider.area_longitude,
    Provider.area_radius_km,
    Provider.work_start_minute,
    Provider.work_end_minute,
    Provider.capacity,
    Provider.active_jobs,
    Provider.latitude,
    Provider.longitude,
    Provider.rating_sum,
    Provider.rating_count,
    Provider.offers_received,
    Provider.offers_accepted,
    Provider.arrivals,
    Provider.arrivals_on_time,
    Provider.complaints,
    Provider.jobs_completed,
    Provider.last_job_ended_at,
    Provider.accept_seconds_sum,
    Provider.area_code,
)
SET_COLUMNS = (Provider.services, Provider.certifications, Provider.districts)
# The rest, for the urgent path where the coverage table already answered the set questions.
FIGURE_COLUMNS = tuple(c for c in MATCH_COLUMNS if c not in SET_COLUMNS)


async def load_pool(
    session: AsyncSession,
    *,
    service: ServiceCode | None,
    now: datetime,
    near: MatchRequest | None = None,
    weights: Weights | None = None,
    with_room: bool = True,
) -> CandidatePool:
    """Coarse pre-filter in SQL, the exact filters in memory.

    SQL keeps active providers with room who can do the service (with its certification) in
    the district or by radius (the indexed coverage table) and, given ``near``, whose last
    position lies in the box they could cross before the deadline (a superset of the exact
    travel-time filter; providers with no position are kept).
    """
    query: AnySelect = select(*MATCH_COLUMNS).where(Provider.status == ProviderStatus.ACTIVE.value)
    if with_room:
        query = query.where(Provider.active_jobs < Provider.capacity)
    if service is not None:
        covering = select(ProviderCoverage.provider_id).where(
            ProviderCoverage.service == service.value
        )
        if near is not None:
            covering = covering.where(ProviderCoverage.district.in_((near.district, ANY_DISTRICT)))
        query = query.where(Provider.id.in_(covering))
    if (
        near is not None
        and weights is not None
        and near.latitude is not None
        and near.longitude is not None
    ):
        minutes = max((near.due_by - now).total_seconds() / 60.0, 0.0)
        reach_km = weights.speed_kmh * minutes / 60.0 / ROAD_FACTOR
        dlat = reach_km / 111.0
        dlon = reach_km / (111.0 * max(math.cos(math.radians(near.latitude)), 0.01))
        query = query.where(
            or_(
                Provider.latitude.is_(None),
                and_(
                    Provider.latitude.between(near.latitude - dlat, near.latitude + dlat),
                    Provider.longitude.between(near.longitude - dlon, near.longitude + dlon),
                ),
            )
        )
    if service is None or near is None:
        rows = (await session.execute(query)).all()
        return CandidatePool([candidate_of_row(row, now) for row in rows])
    return await _covered_pool(session, query, service=service, district=near.district, now=now)


async def _covered_pool(
    session: AsyncSession, query: AnySelect, *, service: ServiceCode, district: str, now: datetime
) -> CandidatePool:
    """Skip decoding the JSON lists: the coverage table already says what they would say."""
    in_district = exists().where(
        ProviderCoverage.provider_id == Provider.id,
        ProviderCoverage.service == service.value,
        ProviderCoverage.district == district,
    )
    narrowed: AnySelect = query.with_only_columns(*FIGURE_COLUMNS, in_district)
    needed = CATALOGUE[service].certification
    services, certifications = frozenset({service.value}), frozenset({needed} - {None})
    here, nowhere = frozenset({district}), frozenset[str]()
    candidates = [
        candidate_of_row(
            (row[0], services, certifications, here if row[-1] else nowhere, *row[1:-1]), now
        )
        for row in (await session.execute(narrowed)).all()
    ]
    return CandidatePool(candidates)
