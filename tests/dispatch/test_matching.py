"""Hard filters and the weighted score on a constructed set of providers; batch assignment."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from dispatch.batch import batch_matrix, solve_assignment
from dispatch.catalogue import ServiceCode, quote
from dispatch.escalations import Escalation, EscalationCode
from dispatch.matching import Candidate, CandidatePool, MatchRequest, Weights

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Hohhot
HOME = (40.858, 111.665)
DEFAULT_WEIGHTS = Weights()


def provider(pid: int, *, km: float = 1.0, **overrides: object) -> Candidate:
    base = Candidate(
        provider_id=pid,
        services=frozenset({"cleaning", "nursing"}),
        certifications=frozenset({"nurse"}),
        districts=frozenset({"新城区"}),
        area_latitude=None,
        area_longitude=None,
        area_radius_km=None,
        work_start_minute=8 * 60,
        work_end_minute=18 * 60,
        capacity=2,
        active_jobs=0,
        latitude=HOME[0] + km / 111.0,
        longitude=HOME[1],
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def request(**overrides: object) -> MatchRequest:
    base = MatchRequest(
        service=ServiceCode.CLEANING,
        district="新城区",
        latitude=HOME[0],
        longitude=HOME[1],
        local_minute=10 * 60,
        now=NOW,
        service_at=NOW,
        due_by=NOW + timedelta(minutes=45),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def ranked_ids(
    pool: CandidatePool, req: MatchRequest, weights: Weights = DEFAULT_WEIGHTS
) -> list[int]:
    return [r.provider_id for r in pool.rank(req, weights, limit=100).ranked]


def test_each_hard_filter_removes_its_provider() -> None:
    """Service, certification, area, hours, capacity, exclusion and deadline each filter."""
    pool = CandidatePool(
        [
            provider(1),
            provider(2, services=frozenset({"meals"})),
            provider(3, districts=frozenset({"玉泉区"})),
            provider(4, work_start_minute=14 * 60),
            provider(5, active_jobs=2),
            provider(6),
            provider(7, km=30),
            provider(
                8,
                districts=frozenset(),
                area_latitude=HOME[0],
                area_longitude=HOME[1],
                area_radius_km=5.0,
            ),
            provider(9, work_start_minute=22 * 60, work_end_minute=11 * 60),
        ]
    )
    assert sorted(ranked_ids(pool, request(excluded=frozenset({6})))) == [1, 8, 9]
    nursing = request(service=ServiceCode.NURSING)
    uncertified = CandidatePool([provider(1, certifications=frozenset())])
    assert uncertified.rank(nursing, Weights()).reason == Escalation(
        EscalationCode.NO_SERVICE,
        "no active provider offers nursing with the certification it needs",
    )


@pytest.mark.parametrize(
    ("req", "reason"),
    [
        (request(district="武川县"), "no provider offers cleaning in 武川县"),
        (request(local_minute=20 * 60), "no provider of cleaning in 新城区 works at that hour"),
        (
            request(excluded=frozenset({1})),
            "every eligible provider has declined, aborted or is blocked",
        ),
        (
            request(due_by=NOW + timedelta(minutes=1)),
            "no eligible provider can arrive before the deadline",
        ),
    ],
)
def test_the_reason_names_the_filter_that_emptied_the_list(req: MatchRequest, reason: str) -> None:
    """When nobody is left, the reason says which rule removed the last provider."""
    why = CandidatePool([provider(1)]).rank(req, Weights()).reason
    assert why is not None and why.text == reason


def test_score_prefers_near_then_rating_familiarity_and_free_capacity() -> None:
    """Each weighted part moves the ranking the way a dispatcher would expect."""
    pool = CandidatePool([provider(1, km=6), provider(2, km=1)])
    assert ranked_ids(pool, request()) == [2, 1]
    rated = CandidatePool([provider(1, rating=5.0), provider(2, rating=2.0)])
    assert ranked_ids(rated, request()) == [1, 2]
    assert ranked_ids(
        CandidatePool([provider(1), provider(2)]), request(served_before=frozenset({2}))
    ) == [2, 1]
    busy = CandidatePool([provider(1, active_jobs=1), provider(2)])
    assert ranked_ids(busy, request()) == [2, 1]
    unreliable = CandidatePool([provider(1, reliability=0.2), provider(2, km=1.5)])
    assert ranked_ids(unreliable, request()) == [2, 1]
    only_rating = Weights(travel=0, load=0, idle=0, rating=1, slack=0, familiarity=0, reliability=0)
    assert ranked_ids(
        CandidatePool([provider(1, km=0.1, rating=3.0), provider(2, km=9, rating=4.5)]),
        request(),
        only_rating,
    ) == [2, 1]


def test_providers_of_the_seniors_centre_rank_before_its_parents() -> None:
    """The senior's own centre's providers come first, then its parent's, then the rest;
    the score orders each tier."""
    pool = CandidatePool(
        [
            provider(1, rating=5.0, area_code="150102"),  # another city's
            provider(2, rating=5.0, area_code="152500"),  # the league's
            provider(3, rating=2.0, area_code="152501"),  # the station's, rated lower
            provider(4, rating=4.0, area_code="152501"),
            provider(5, rating=5.0),  # affiliated nowhere
            provider(6, rating=3.0, area_code="152500"),
        ]
    )
    tiers = ("152501", "1525")
    assert ranked_ids(pool, request(centre_tiers=tiers)) == [4, 3, 2, 6, 1, 5]
    assert ranked_ids(pool, request())[:3] == [1, 2, 5]


def test_subsidy_quote_uses_the_most_generous_category() -> None:
    """A veteran pays nothing; old-age allowance pays 30 % of meals; unknown pays nothing."""
    assert quote(ServiceCode.MEALS, ["old_age_allowance", "veterans"]).senior_pays_fen == 0
    meal = quote(ServiceCode.MEALS, ["old_age_allowance"])
    assert (meal.subsidised_fen, meal.senior_pays_fen) == (450, 1050)
    assert quote(ServiceCode.REPAIRS, ["care_subsidy"]).subsidised_fen == 0


def brute_force(scores: np.ndarray, feasible: np.ndarray, slots: list[int]) -> tuple[int, float]:
    """Best (visits assigned, total score) by trying every assignment."""
    best = (0, 0.0)
    choices = [None, *range(len(slots))]
    for pick in itertools.product(choices, repeat=len(scores)):
        used = [pick.count(p) for p in range(len(slots))]
        if any(u > s for u, s in zip(used, slots, strict=True)):
            continue
        if any(p is not None and not feasible[r, p] for r, p in enumerate(pick)):
            continue
        count = sum(p is not None for p in pick)
        total = sum(scores[r, p] for r, p in enumerate(pick) if p is not None)
        best = max(best, (count, round(total, 9)))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_batch_assignment_matches_brute_force(seed: int) -> None:
    """On small random cases the solver assigns as many visits with as high a score as possible."""
    rng = random.Random(seed)
    areas = ["新城区", "回民区"]
    providers = [
        provider(
            i,
            km=rng.uniform(0.2, 12),
            capacity=rng.choice([1, 2]),
            active_jobs=0,
            rating=rng.uniform(2, 5),
            districts=frozenset(rng.sample(areas, k=rng.choice([1, 2]))),
            work_start_minute=0,
            work_end_minute=0,
        )
        for i in range(1, 5)
    ]
    pool = CandidatePool(providers)
    requests = [
        request(
            district=rng.choice(["新城区", "回民区"]),
            due_by=NOW + timedelta(minutes=rng.choice([20, 60, 120])),
        )
        for _ in range(5)
    ]
    scores, feasible = batch_matrix(pool, requests, Weights())
    slots = [p.capacity for p in providers]
    pairs = solve_assignment(scores, feasible, slots)
    assert all(feasible[r, c] for r, c in pairs)
    assert all(sum(c == col for _, c in pairs) <= slots[col] for col in range(len(slots)))
    got = (len(pairs), round(sum(scores[r, c] for r, c in pairs), 9))
    assert got == pytest.approx(brute_force(scores, feasible, slots))
