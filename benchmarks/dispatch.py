"""``anxin bench dispatch``: one urgent match among 10,000 providers; a 1,000-visit batch.

The match is timed end to end as the service runs it: the order's exclusions from a real SQLite
file, the in-memory candidate index (refreshing one changed provider per run), filters and
score, and the database check that the chosen providers are still active with room. The old
path (SQL pre-filter and loading the candidate rows) is timed too, as ``sql_match``. The
batch is timed from candidate rows in memory to the solved assignment; both report CPU time.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from sqlalchemy import insert

from benchmarks.serving import open_runtime
from config.settings import Settings
from dispatch import candidates, offers, orders
from dispatch import providers as provider_service
from dispatch.batch import batch_matrix, solve_assignment
from dispatch.candidates import CandidateIndex
from dispatch.catalogue import ServiceCode
from dispatch.matching import Candidate, CandidatePool, MatchRequest
from dispatch.models import Provider, ProviderCoverage, ServiceOrder
from dispatch.policy import DispatchPolicy
from dispatch.schemas import OrderCreate, Urgency
from runtime import heap
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.demo import HOHHOT
from seniors.schemas import SeniorCreate

CITY = HOHHOT[:4]  # the four urban districts, where most providers work


def _provider_row(rng: random.Random, index: int) -> dict[str, Any]:
    place = rng.choice(CITY)
    services = rng.sample(list(ServiceCode), k=3)
    return {
        "kind": "worker",
        "name": f"bench-{index}",
        "phone": "",
        "services": services,
        "certifications": ["first_aid", "care_worker", "nurse"][: rng.randrange(4)],
        "districts": [place.name],
        "work_start_minute": 0,
        "work_end_minute": 0,
        "capacity": rng.choice([1, 2, 3]),
        "active_jobs": 0,
        "status": "active",
        "channel": "page",
        "latitude": place.latitude + rng.uniform(-0.08, 0.08),
        "longitude": place.longitude + rng.uniform(-0.08, 0.08),
        "area_latitude": None,
        "area_longitude": None,
        "area_radius_km": None,
        "rating_sum": rng.uniform(3, 5),
        "rating_count": 1,
        "created_at": None,
    }


async def time_match(providers: int, runs: int) -> dict[str, float]:
    clock = ManualClock()
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            data_dir=Path(scratch), secret_key=SecretStr(secrets.token_hex(32)), demo=False
        )
        async with open_runtime(settings, clock) as runtime:
            policy = DispatchPolicy.from_settings(settings)
            rng = random.Random(7)
            async with runtime.sessions() as session:
                rows = [
                    _provider_row(rng, i) | {"id": i + 1, "created_at": clock.now()}
                    for i in range(providers)
                ]
                await session.execute(insert(Provider), rows)
                await session.execute(
                    insert(ProviderCoverage),
                    [
                        cover
                        for row in rows
                        for cover in provider_service.coverage_rows(
                            provider_id=row["id"],
                            services=row["services"],
                            certifications=row["certifications"],
                            districts=row["districts"],
                            has_radius=False,
                        )
                    ],
                )
                senior = await seniors_service.create_senior(
                    session,
                    now=clock.now(),
                    data=(
                        SeniorCreate(
                            name="测试",
                            resident_id="150102194503020011",
                            sex="female",
                            address="新华大街1号",
                            district=CITY[0].name,
                            latitude=CITY[0].latitude,
                            longitude=CITY[0].longitude,
                        )
                    ),
                )
                order = await orders.new_order(
                    session,
                    data=OrderCreate(
                        senior_id=senior.id,
                        service=ServiceCode.EMERGENCY_RESPONDER,
                        urgency=Urgency.URGENT,
                    ),
                    actor="bench",
                    policy=policy,
                    now=clock.now(),
                )
                await session.commit()
            index = CandidateIndex()
            # As in the app once started: the heap settled, so a full collection walks only
            # what was allocated since (runtime/heap.py).
            with heap.settled():
                async with runtime.sessions() as session:
                    built = time.perf_counter()
                    stall_ms, stall_cpu_ms = await _longest_stall(
                        index.rebuild(session, now=clock.now())
                    )
                    rebuild_ms = (time.perf_counter() - built) * 1000
                indexed = await _time_runs(runtime, order, policy, clock, runs, index, rng,
                                           providers)
                database = await _time_runs(runtime, order, policy, clock, runs, None, rng,
                                            providers)
                return (
                    _summary("match", indexed)
                    | _summary("sql_match", database)
                    | {
                        "index_rebuild_ms": round(rebuild_ms, 1),
                        # The longest the event loop waited while the index was rebuilt.
                        "index_rebuild_stall_ms": round(stall_ms, 1),
                        "index_rebuild_stall_cpu_ms": round(stall_cpu_ms, 1),
                        "candidates_ranked": len(index.pool_for(indexed.request)),
                    }
                )


async def _longest_stall(work: Coroutine[Any, Any, None]) -> tuple[float, float]:
    """Run ``work`` beside a task that yields in a loop; the longest gap it saw, in ms of wall
    clock and of this process's CPU time (the wall gap includes time the OS ran others)."""
    running = True
    longest_wall = longest_cpu = 0.0

    async def tick() -> None:
        nonlocal longest_wall, longest_cpu
        wall, cpu = time.perf_counter(), time.process_time()
        while running:
            await asyncio.sleep(0)
            wall_now, cpu_now = time.perf_counter(), time.process_time()
            longest_wall = max(longest_wall, wall_now - wall)
            longest_cpu = max(longest_cpu, cpu_now - cpu)
            wall, cpu = wall_now, cpu_now

    ticker = asyncio.create_task(tick())
    try:
        await work
    finally:
        running = False
        await ticker
    return longest_wall * 1000, longest_cpu * 1000


@dataclass
class Runs:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    request: Any = None


async def _time_runs(
    runtime: Runtime,
    order: ServiceOrder,
    policy: DispatchPolicy,
    clock: ManualClock,
    runs: int,
    index: CandidateIndex | None,
    rng: random.Random,
    providers: int,
) -> Runs:
    """Time the match as the service runs it; with an index, one provider changed per run
    (as in a busy centre, where every accept and finished job touches a row)."""
    result = Runs()
    for _ in range(runs):
        if index is not None:
            index.mark_changed([rng.randrange(1, providers + 1)])
        cpu_started = time.process_time()
        started = time.perf_counter()
        async with runtime.sessions() as session:
            if index is not None:
                candidates.attach(session, index)
            request = await offers.match_request(session, order, policy=policy, now=clock.now())
            ranking = await offers.rank_providers(
                session, request, policy=policy, now=clock.now(), limit=3
            )
        result.wall.append((time.perf_counter() - started) * 1000)
        result.cpu.append((time.process_time() - cpu_started) * 1000)
        assert ranking.ranked, ranking.reason
        result.request = request
    return result


def _summary(name: str, runs: Runs) -> dict[str, float]:
    return {
        f"{name}_p50_ms": _pct(runs.wall, 50),
        f"{name}_p99_ms": _pct(runs.wall, 99),
        # CPU time of the process per match: less at the mercy of a busy machine.
        f"{name}_cpu_p50_ms": _pct(runs.cpu, 50),
        f"{name}_cpu_p99_ms": _pct(runs.cpu, 99),
    }


def time_batch(visits: int, providers: int) -> dict[str, float]:
    rng = random.Random(11)
    clock = ManualClock()
    now = clock.now()
    candidates = []
    for i in range(providers):
        row = _provider_row(rng, i)
        candidates.append(
            Candidate(
                provider_id=i,
                services=frozenset(row["services"]),
                certifications=frozenset(row["certifications"]),
                districts=frozenset(row["districts"]),
                area_latitude=None,
                area_longitude=None,
                area_radius_km=None,
                work_start_minute=0,
                work_end_minute=0,
                capacity=row["capacity"],
                active_jobs=0,
                latitude=row["latitude"],
                longitude=row["longitude"],
            )
        )
    requests = []
    for _ in range(visits):
        place = rng.choice(CITY)
        requests.append(
            MatchRequest(
                service=rng.choice(
                    [ServiceCode.MEALS, ServiceCode.CLEANING, ServiceCode.COMPANIONSHIP]
                ),
                district=place.name,
                latitude=place.latitude + rng.uniform(-0.05, 0.05),
                longitude=place.longitude + rng.uniform(-0.05, 0.05),
                local_minute=600,
                now=now,
                service_at=now + timedelta(hours=16),
                due_by=now + timedelta(hours=18),
            )
        )
    policy_weights = DispatchPolicy.from_settings(
        Settings(secret_key=SecretStr(secrets.token_hex(32)))
    ).weights
    cpu_started = time.process_time()
    started = time.perf_counter()
    pool = CandidatePool(candidates)
    scores, feasible = batch_matrix(pool, requests, policy_weights)
    pairs = solve_assignment(scores, feasible, [c.capacity for c in candidates])
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return {
        "batch_seconds": round(elapsed, 3),
        "batch_cpu_seconds": round(cpu, 3),
        "batch_assigned": len(pairs),
    }


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))], 2)


def command(
    providers: Annotated[int, typer.Option(help="providers for the urgent match")] = 10_000,
    runs: Annotated[int, typer.Option(help="timed urgent matches")] = 200,
    visits: Annotated[int, typer.Option(help="visits in the batch")] = 1_000,
    batch_providers: Annotated[int, typer.Option(help="providers in the batch")] = 2_000,
) -> None:
    """Time matching and batch assignment; prints one JSON line."""
    result: dict[str, Any] = {"bench": "dispatch", "providers": providers, "runs": runs}
    result |= asyncio.run(time_match(providers, runs))
    result |= {"visits": visits, "batch_providers": batch_providers}
    result |= time_batch(visits, batch_providers)
    result["targets"] = {"match_p99_ms": 20, "batch_seconds": 3}
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    typer.echo(json.dumps(result, ensure_ascii=False))
