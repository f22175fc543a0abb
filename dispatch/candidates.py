"""Active providers held in memory for matching, indexed by service and place.

Matching an urgent order must not wait on loading hundreds of provider rows. The index holds
every active provider as a ``Candidate``, found by (service, district) and, for radius areas,
by (service, grid cell). It is built when dispatch starts and kept current three ways:

- this process marks a provider changed after each commit that touched it (an offer, an
  accept, a finished job, an edit, a suspension); the next match reloads only those rows;
- providers created elsewhere (another instance, a seed script) are found by their id being
  above the highest one the index has seen;
- the timer loop rebuilds the whole index every ``dispatch_index_rebuild_s`` seconds, which
  bounds how long another instance's edits or the idle clocks can lag.

The database stays the judge: before an offer goes out, the chosen providers are checked to
be active and to have room (``providers.unavailable``), so a stale entry costs a re-rank,
never a wrong offer.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch import providers as provider_service
from dispatch.catalogue import CATALOGUE, ServiceCode
from dispatch.matching import Candidate, CandidatePool, MatchRequest
from dispatch.models import Provider
from dispatch.schemas import ProviderStatus

# Grid cells for radius areas, in degrees (about 28 km north–south).
CELL_DEGREES = 0.25
# Provider rows decoded between two turns of the event loop during a rebuild.
REBUILD_CHUNK = 500
SESSION_KEY = "dispatch.candidates"

Place = tuple[str, str]  # (service, district)
Cell = tuple[str, int, int]  # (service, row, column)


def cell_of(latitude: float, longitude: float) -> tuple[int, int]:
    return math.floor(latitude / CELL_DEGREES), math.floor(longitude / CELL_DEGREES)


def cells_covered(latitude: float, longitude: float, radius_km: float) -> list[tuple[int, int]]:
    """Every grid cell that the circle's bounding box touches."""
    dlat = radius_km / 111.0
    dlon = radius_km / (111.0 * max(math.cos(math.radians(latitude)), 0.01))
    low, high = (
        cell_of(latitude - dlat, longitude - dlon),
        cell_of(latitude + dlat, longitude + dlon),
    )
    return [(r, c) for r in range(low[0], high[0] + 1) for c in range(low[1], high[1] + 1)]


def able_services(candidate: Candidate) -> list[str]:
    """Services the provider offers and holds the certification for."""
    return [
        s
        for s in candidate.services
        if s in CATALOGUE
        and CATALOGUE[ServiceCode(s)].certification in (None, *candidate.certifications)
    ]


@dataclass
class CandidateIndex:
    """Active providers by (service, district) and (service, cell); see the module's notes."""

    candidates: dict[int, Candidate] = field(default_factory=dict)
    by_place: defaultdict[Place, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_cell: defaultdict[Cell, set[int]] = field(default_factory=lambda: defaultdict(set))
    changed: set[int] = field(default_factory=set)
    highest_id: int = 0
    built_at: datetime | None = None
    _everyone: CandidatePool | None = None
    _rebuilding: bool = False
    # Pools already built, by (service, district, cell); dropped when one of theirs changes.
    _pools: dict[tuple[str, str, tuple[int, int] | None], CandidatePool] = field(
        default_factory=dict
    )

    async def rebuild(self, session: AsyncSession, *, now: datetime) -> None:
        """Load every active provider afresh (at start, and now and then from the timer loop).

        Rows arrive in chunks and the event loop runs between them, so a rebuild of ten
        thousand providers never stalls alarms or calls for long; matching meanwhile uses the
        old entries, and rows refreshed meanwhile are reloaded again after the swap.
        """
        self._rebuilding = True
        try:
            highest = await session.scalar(select(func.max(Provider.id)))
            fresh = CandidateIndex()
            after = 0
            while True:
                chunk = (
                    await session.execute(
                        select(*provider_service.MATCH_COLUMNS)
                        .where(
                            Provider.status == ProviderStatus.ACTIVE.value, Provider.id > after
                        )
                        .order_by(Provider.id)
                        .limit(REBUILD_CHUNK)
                    )
                ).all()
                for row in chunk:
                    fresh._put(provider_service.candidate_of_row(row, now))
                if len(chunk) < REBUILD_CHUNK:
                    break
                after = chunk[-1][0]
                await asyncio.sleep(0)
        finally:
            self._rebuilding = False
        self.candidates, self.by_place, self.by_cell = (
            fresh.candidates,
            fresh.by_place,
            fresh.by_cell,
        )
        self._everyone = None
        self._pools.clear()
        self.highest_id = max(int(highest or 0), fresh.highest_id)
        self.built_at = now

    def mark_changed(self, provider_ids: Iterable[int]) -> None:
        """These providers' rows changed in a committed transaction; reload them before use."""
        self.changed.update(provider_ids)

    async def refresh(self, session: AsyncSession, *, now: datetime) -> None:
        """Reload the changed rows and pick up providers created since the last look."""
        if self.built_at is None:
            await self.rebuild(session, now=now)
            return
        highest = int(await session.scalar(select(func.max(Provider.id))) or 0)
        if not self.changed and highest <= self.highest_id:
            return
        seen = set(self.changed)
        ids = set(seen)
        query = select(Provider.status, *provider_service.MATCH_COLUMNS)
        if highest > self.highest_id:
            query = query.where(Provider.id.in_(ids) | (Provider.id > self.highest_id))
        else:
            query = query.where(Provider.id.in_(ids))
        for status, *row in (await session.execute(query)).all():
            self._drop(row[0])
            ids.discard(row[0])
            if status == ProviderStatus.ACTIVE.value:
                self._put(provider_service.candidate_of_row(row, now))
        for gone in ids:
            self._drop(gone)
        if not self._rebuilding:  # else keep them: the rebuild may have read them before
            self.changed -= seen  # marks added while the query ran stay for the next match
        self.highest_id = max(self.highest_id, highest)
        self._everyone = None

    def pool_for(self, request: MatchRequest) -> CandidatePool:
        """Active providers who offer the service in the district or whose radius may reach."""
        service = request.service.value
        cell = None
        if request.latitude is not None and request.longitude is not None:
            cell = cell_of(request.latitude, request.longitude)
        key = (service, request.district, cell)
        pool = self._pools.get(key)
        if pool is None:
            ids = set(self.by_place.get((service, request.district), ()))
            if cell is not None:
                ids |= self.by_cell.get((service, *cell), set())
            pool = CandidatePool([self.candidates[i] for i in sorted(ids)])
            self._pools[key] = pool
        return pool

    def everyone(self) -> CandidatePool:
        """Every active provider (to explain an escalation, or for a batch)."""
        if self._everyone is None:
            self._everyone = CandidatePool([self.candidates[i] for i in sorted(self.candidates)])
        return self._everyone

    def with_room(self) -> CandidatePool:
        """Active providers with a free slot (a batch fills slots, one column each)."""
        return CandidatePool(
            [
                self.candidates[i]
                for i in sorted(self.candidates)
                if self.candidates[i].active_jobs < self.candidates[i].capacity
            ]
        )

    def _forget_pools_of(self, candidate: Candidate) -> None:
        """Drop the built pools this provider is (or would be) part of."""
        services = set(able_services(candidate))
        cells = set()
        lat, lon, radius = (
            candidate.area_latitude,
            candidate.area_longitude,
            candidate.area_radius_km,
        )
        if lat is not None and lon is not None and radius is not None:
            cells = set(cells_covered(lat, lon, radius))
        for key in [
            k
            for k in self._pools
            if k[0] in services and (k[1] in candidate.districts or k[2] in cells)
        ]:
            del self._pools[key]

    def _put(self, candidate: Candidate) -> None:
        pid = candidate.provider_id
        self._forget_pools_of(candidate)
        self.candidates[pid] = candidate
        self.highest_id = max(self.highest_id, pid)
        places, cells = _keys_of(candidate)
        for place in places:
            self.by_place[place].add(pid)
        for cell in cells:
            self.by_cell[cell].add(pid)

    def _drop(self, provider_id: int) -> None:
        candidate = self.candidates.pop(provider_id, None)
        if candidate is None:
            return
        self._forget_pools_of(candidate)
        places, cells = _keys_of(candidate)
        for place in places:
            self.by_place[place].discard(provider_id)
        for cell in cells:
            self.by_cell[cell].discard(provider_id)


def _keys_of(candidate: Candidate) -> tuple[list[Place], list[Cell]]:
    """Where the index files a candidate: (service, district) and (service, grid cell)."""
    services = able_services(candidate)
    places = [(service, district) for service in services for district in candidate.districts]
    lat, lon, radius = candidate.area_latitude, candidate.area_longitude, candidate.area_radius_km
    if lat is None or lon is None or radius is None:
        return places, []
    cells = [(service, row, column) for row, column in cells_covered(lat, lon, radius)
             for service in services]
    return places, cells


def attach(session: AsyncSession, index: CandidateIndex) -> None:
    """Let matching inside this session's transaction use the in-memory index."""
    session.info[SESSION_KEY] = index


def index_of(session: AsyncSession) -> CandidateIndex | None:
    index = session.info.get(SESSION_KEY)
    return index if isinstance(index, CandidateIndex) else None
