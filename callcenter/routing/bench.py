"""``anxin bench routing``: the routing engine with many operators and a long queue.

It times, in one process and on the engine alone (the desk adds one database write per step):
routing a new task when an operator is free, handling an accept (which frees the task and
matches the operator's next one), and the rate of tasks routed per second.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from callcenter.routing.engine import Offer, Router, Task
from callcenter.routing.rules import OperatorState, TaskKind

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LANGUAGES = ("zh-CN", "mn")
SKILLS = ("emergency", "policy", "service")


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _setup(operators: int, tasks: int, rng: random.Random) -> Router:
    router = Router()
    for i in range(operators):
        router.set_operator(f"op{i}", skills=frozenset(rng.sample(SKILLS, 2)),
                            languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
                            state=OperatorState.AVAILABLE, now=START)
    for i in range(operators):  # everyone busy, so the queue can grow
        router.add_task(Task(i + 1, TaskKind.CALL, 3, START), START)
        holder = router.tasks[i + 1].reserved_to
        assert holder is not None
        router.accept(i + 1, holder, START)
    for i in range(tasks):
        at = START + timedelta(milliseconds=i)
        router.add_task(Task(operators + i + 1, rng.choice([TaskKind.CALL, TaskKind.CALLBACK]),
                             rng.randint(2, 5), at, language=rng.choice(LANGUAGES)), at)
    return router


def command(
    operators: Annotated[int, typer.Option(min=1)] = 1000,
    tasks: Annotated[int, typer.Option(min=1)] = 10_000,
    samples: Annotated[int, typer.Option(min=10)] = 2000,
) -> None:
    """Route and accept against 1,000 operators and 10,000 waiting tasks; one JSON line."""
    rng = random.Random(12349)
    router = _setup(operators, tasks, rng)
    route_ms: list[float] = []
    accept_ms: list[float] = []
    arrival_ms: list[float] = []
    next_id = operators + tasks + 1
    now = START + timedelta(minutes=5)
    busy = [t for t in router.tasks.values() if t.assigned_to]
    started = time.perf_counter()
    for _ in range(samples):
        now += timedelta(milliseconds=50)
        done = busy.pop(0)
        username = done.assigned_to or ""
        operator = router.operators[username]
        router.complete(done.id, username, now)
        t0 = time.perf_counter()  # the operator is free again: route the best waiting task
        actions = router.set_operator(username, skills=operator.skills,
                                      languages=operator.languages,
                                      state=OperatorState.AVAILABLE, now=now)
        route_ms.append((time.perf_counter() - t0) * 1000)
        offer = next(a for a in actions if isinstance(a, Offer) and username in a.operators)
        t0 = time.perf_counter()
        router.accept(offer.task_id, username, now)
        accept_ms.append((time.perf_counter() - t0) * 1000)
        busy.append(router.tasks[offer.task_id])
        t0 = time.perf_counter()  # a new call arrives while everyone is busy
        router.add_task(Task(next_id, TaskKind.CALL, 3, now), now)
        arrival_ms.append((time.perf_counter() - t0) * 1000)
        next_id += 1
    elapsed = time.perf_counter() - started
    typer.echo(json.dumps({
        "bench": "routing", "operators": operators, "waiting_tasks": tasks, "samples": samples,
        "route_p50_ms": round(statistics.median(route_ms), 3),
        "route_p99_ms": round(_percentile(route_ms, 0.99), 3),
        "accept_p50_ms": round(statistics.median(accept_ms), 3),
        "accept_p99_ms": round(_percentile(accept_ms, 0.99), 3),
        "arrival_p99_ms": round(_percentile(arrival_ms, 0.99), 3),
        "routed_per_s": round(samples / elapsed, 1), "target_p99_ms": 5,
    }))
