"""Choosing providers for an order: hard filters, then a weighted score, on in-memory rows.

The database does a coarse pre-filter (active, has the service, has room); everything here is
plain arithmetic over numpy arrays so that ten thousand candidates rank in a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from dispatch import escalations
from dispatch.catalogue import CATALOGUE, ServiceCode
from dispatch.escalations import Escalation

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
EARTH_RADIUS_KM = 6371.0
# Straight-line distance understates the road; a routing engine can replace this later.
ROAD_FACTOR = 1.3
# A provider with no known position is assumed this far away in minutes.
UNKNOWN_TRAVEL_MINUTES = 45.0
NEUTRAL_RATING = 4.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """What matching needs to know about one provider."""

    provider_id: int
    services: frozenset[str]
    certifications: frozenset[str]
    districts: frozenset[str]
    area_latitude: float | None
    area_longitude: float | None
    area_radius_km: float | None
    work_start_minute: int
    work_end_minute: int
    capacity: int
    active_jobs: int
    latitude: float | None
    longitude: float | None
    rating: float = NEUTRAL_RATING
    reliability: float = 1.0
    idle_minutes: float = 240.0
    area_code: str | None = None  # the GB/T 2260 area the provider is affiliated with


@dataclass(frozen=True, slots=True)
class MatchRequest:
    service: ServiceCode
    district: str
    latitude: float | None
    longitude: float | None
    local_minute: int  # minute of the local day when the service starts
    now: datetime
    service_at: datetime
    due_by: datetime
    excluded: frozenset[int] = frozenset()  # declined, aborted, already offered, blocked
    served_before: frozenset[int] = frozenset()
    # Area-code prefixes of the senior's centre, then its parent's, …: providers affiliated
    # with an earlier one rank before any of a later one (the score orders each tier).
    centre_tiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Weights:
    travel: float = 3.0
    load: float = 1.0
    idle: float = 0.5
    rating: float = 1.0
    slack: float = 1.0
    familiarity: float = 0.5
    reliability: float = 1.0
    speed_kmh: float = 25.0


@dataclass(frozen=True, slots=True)
class Ranked:
    provider_id: int
    score: float
    travel_minutes: float


@dataclass(frozen=True, slots=True)
class Ranking:
    ranked: list[Ranked]
    # Why nobody is left, when nobody is: the first filter that removed the last candidate.
    reason: Escalation | None = None


def haversine_km(
    lat1: FloatArray | float, lon1: FloatArray | float, lat2: float, lon2: float
) -> FloatArray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a)), dtype=np.float64)


@dataclass
class CandidatePool:
    """Candidates as columns, built once and ranked against many requests."""

    candidates: Sequence[Candidate]
    ids: npt.NDArray[np.int64] = field(init=False)
    _by_service: dict[str, BoolArray] = field(init=False, default_factory=dict)
    _by_district: dict[str, BoolArray] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        c = self.candidates
        self.ids = np.fromiter((x.provider_id for x in c), np.int64, len(c))
        self.lat = np.array([_or_nan(x.latitude, x.area_latitude) for x in c], np.float64)
        self.lon = np.array([_or_nan(x.longitude, x.area_longitude) for x in c], np.float64)
        self.area_lat = np.array([_or_nan(x.area_latitude) for x in c], np.float64)
        self.area_lon = np.array([_or_nan(x.area_longitude) for x in c], np.float64)
        self.radius = np.array([x.area_radius_km or -1.0 for x in c], np.float64)
        self.start = np.array([x.work_start_minute for x in c], np.int64)
        self.end = np.array([x.work_end_minute for x in c], np.int64)
        self.capacity = np.array([max(x.capacity, 0) for x in c], np.float64)
        self.load = np.array([x.active_jobs for x in c], np.float64)
        self.rating = np.array([x.rating for x in c], np.float64)
        self.reliability = np.array([x.reliability for x in c], np.float64)
        self.idle = np.array([x.idle_minutes for x in c], np.float64)
        self.areas = np.array([x.area_code or "" for x in c], np.str_)
        self._tiers: dict[tuple[str, ...], npt.NDArray[np.int64]] = {}

    def __len__(self) -> int:
        return len(self.candidates)

    def offers_service(self, service: ServiceCode) -> BoolArray:
        if service not in self._by_service:
            needed = CATALOGUE[service].certification
            self._by_service[service] = np.array(
                [
                    service in x.services and (needed is None or needed in x.certifications)
                    for x in self.candidates
                ],
                np.bool_,
            )
        return self._by_service[service]

    def covers(self, request: MatchRequest) -> BoolArray:
        if request.district not in self._by_district:
            self._by_district[request.district] = np.array(
                [request.district in x.districts for x in self.candidates], np.bool_
            )
        in_district = self._by_district[request.district]
        if request.latitude is None or request.longitude is None:
            return in_district
        within = haversine_km(self.area_lat, self.area_lon, request.latitude, request.longitude)
        return in_district | ((self.radius >= 0) & (within <= self.radius))

    def working(self, minute: int) -> BoolArray:
        plain = (self.start <= minute) & (minute < self.end)
        overnight = (self.start > self.end) & ((minute >= self.start) | (minute < self.end))
        working: BoolArray = plain | overnight | (self.start == self.end)
        return working

    def travel_minutes(self, request: MatchRequest, speed_kmh: float) -> FloatArray:
        if request.latitude is None or request.longitude is None:
            return np.full(len(self), UNKNOWN_TRAVEL_MINUTES)
        km = haversine_km(self.lat, self.lon, request.latitude, request.longitude) * ROAD_FACTOR
        minutes = km / speed_kmh * 60.0
        return np.where(np.isnan(minutes), UNKNOWN_TRAVEL_MINUTES, minutes)

    def rank(self, request: MatchRequest, weights: Weights, *, limit: int = 10) -> Ranking:
        """Eligible providers, best first, or the reason why none is eligible."""
        mask, reason = self.eligible(request, weights)
        if not mask.any():
            return Ranking([], reason)
        travel = self.travel_minutes(request, weights.speed_kmh)
        score = self.scores(request, weights, travel)
        index = np.flatnonzero(mask)
        tier = self.tiers(request.centre_tiers)[index]
        top = index[np.lexsort((-score[index], tier))[:limit]]
        return Ranking([Ranked(int(self.ids[i]), float(score[i]), float(travel[i])) for i in top])

    def tiers(self, prefixes: tuple[str, ...]) -> npt.NDArray[np.int64]:
        """Each provider's tier: the first of ``prefixes`` its area lies under (unaffiliated
        and unknown areas last)."""
        if prefixes not in self._tiers:
            tier = np.full(len(self), len(prefixes), np.int64)
            for position, prefix in reversed(list(enumerate(prefixes))):
                tier[np.char.startswith(self.areas, prefix)] = position
            self._tiers[prefixes] = tier
        return self._tiers[prefixes]

    def eligible(
        self, request: MatchRequest, weights: Weights
    ) -> tuple[BoolArray, Escalation | None]:
        """The hard filters in order; the reason names the one that removed the last candidate."""
        service = request.service.value.replace("_", " ")
        travel = self.travel_minutes(request, weights.speed_kmh)
        arrival_minutes = (request.due_by - request.now).total_seconds() / 60.0
        excluded = np.isin(self.ids, np.fromiter(request.excluded, np.int64))
        steps: list[tuple[BoolArray, Escalation]] = [
            (self.offers_service(request.service), escalations.no_service(service)),
            (self.covers(request), escalations.no_area(service, request.district)),
            (
                self.working(request.local_minute),
                escalations.no_hours(service, request.district),
            ),
            (self.load < self.capacity, escalations.capacity(service)),
            (~excluded, escalations.ALL_DECLINED),
            (travel <= arrival_minutes, escalations.TOO_FAR),
        ]
        mask = np.ones(len(self), np.bool_)
        for step, reason in steps:
            mask &= step
            if not mask.any():
                return mask, reason
        return mask, None

    def scores(self, request: MatchRequest, weights: Weights, travel: FloatArray) -> FloatArray:
        """Higher is better; each part lies in [0, 1] before its weight."""
        slack_minutes = (request.due_by - request.now).total_seconds() / 60.0 - travel
        familiar = np.isin(self.ids, np.fromiter(request.served_before, np.int64))
        free = 1.0 - self.load / np.maximum(self.capacity, 1.0)
        total: FloatArray = (
            weights.travel * (1.0 - np.minimum(travel / 60.0, 1.0))
            + weights.load * free
            + weights.idle * np.minimum(self.idle / 240.0, 1.0)
            + weights.rating * self.rating / 5.0
            + weights.slack * np.clip(slack_minutes / 60.0, 0.0, 1.0)
            + weights.familiarity * familiar
            + weights.reliability * self.reliability
        )
        return total


def _or_nan(*values: float | None) -> float:
    for value in values:
        if value is not None:
            return value
    return float("nan")
