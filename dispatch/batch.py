"""Batch assignment of scheduled visits: one cost matrix, solved by the Hungarian method.

Each provider contributes one column per free capacity slot, so a provider with room for three
jobs can take three visits. Pairs that fail a hard filter cost so much that the solver uses them
only when nothing else is left; such pairs are then dropped and those visits left unassigned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy.optimize import linear_sum_assignment
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch import candidates, offers, orders
from dispatch import providers as provider_service
from dispatch.candidates import CandidateIndex
from dispatch.events import Outbox
from dispatch.flows import announce, dispatch_of
from dispatch.lifecycle import OrderEvent, OrderState
from dispatch.matching import BoolArray, CandidatePool, FloatArray, MatchRequest, Ranked, Weights
from dispatch.models import ServiceOrder
from runtime.context import Runtime


@dataclass(frozen=True, slots=True)
class BatchResult:
    assigned: dict[int, int]  # order id → provider id
    unassigned: list[int]


def batch_matrix(
    pool: CandidatePool, requests: Sequence[MatchRequest], weights: Weights
) -> tuple[FloatArray, BoolArray]:
    """Score and feasibility of every (request, provider) pair."""
    scores = np.zeros((len(requests), len(pool)))
    feasible = np.zeros((len(requests), len(pool)), np.bool_)
    for row, request in enumerate(requests):
        feasible[row], _ = pool.eligible(request, weights)
        scores[row] = pool.scores(request, weights, pool.travel_minutes(request, weights.speed_kmh))
    return scores, feasible


def solve_assignment(
    scores: FloatArray, feasible: BoolArray, slots: Sequence[int]
) -> list[tuple[int, int]]:
    """(row, provider column) pairs maximising the number of feasible visits, then the score."""
    columns = np.repeat(np.arange(len(slots)), np.maximum(np.asarray(slots, np.int64), 0))
    if scores.size == 0 or columns.size == 0:
        return []
    useful = columns[feasible[:, columns].any(axis=0)]
    if useful.size == 0:
        return []
    cost = scores.max() - scores[:, useful]
    infeasible = (cost.max() + 1.0) * (len(scores) + 1)
    cost = np.where(feasible[:, useful], cost, infeasible)
    rows, picked = linear_sum_assignment(cost)
    return [
        (int(r), int(useful[c]))
        for r, c in zip(rows, picked, strict=True)
        if feasible[r, useful[c]]
    ]


async def free_providers(
    session: AsyncSession, index: CandidateIndex, *, now: datetime
) -> CandidatePool:
    """Providers with a free slot, from the index once the database has confirmed it."""
    await index.refresh(session, now=now)
    pool = index.with_room()
    stale = await provider_service.unavailable(session, [int(i) for i in pool.ids])
    if not stale:
        return pool
    index.mark_changed(stale)
    await index.refresh(session, now=now)
    return index.with_room()


async def assign_batch(runtime: Runtime, *, order_ids: Sequence[int], actor: str) -> BatchResult:
    """Match the given waiting orders together; what finds no provider goes to normal matching."""
    parts = dispatch_of(runtime)
    policy = parts.policy
    outbox = Outbox()
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        candidates.attach(session, parts.candidates)
        # Claim the orders first (a conditional write), so that a second instance assigning
        # the same orders waits, then finds them no longer waiting and leaves them alone.
        claimed = await session.scalars(
            update(ServiceOrder)
            .where(
                ServiceOrder.id.in_(order_ids),
                ServiceOrder.state == OrderState.CREATED.value,
            )
            .values(updated_at=now)
            .returning(ServiceOrder.id)
            .execution_options(synchronize_session=False)
        )
        mine = sorted(claimed.all())
        waiting = list(
            (
                await session.scalars(
                    select(ServiceOrder)
                    .where(ServiceOrder.id.in_(mine))
                    .order_by(ServiceOrder.id)
                    .execution_options(populate_existing=True)
                )
            ).all()
        )
        if not waiting:
            return BatchResult({}, [])
        pool = await free_providers(session, parts.candidates, now=now)
        requests = [await offers.match_request(session, o, policy=policy, now=now) for o in waiting]
        scores, feasible = batch_matrix(pool, requests, policy.weights)
        slots = [c.capacity - c.active_jobs for c in pool.candidates]
        pairs = dict(solve_assignment(scores, feasible, slots))
        assigned: dict[int, int] = {}
        for row, order in enumerate(waiting):
            orders.transition(
                session,
                order,
                OrderEvent.START_MATCHING,
                actor=actor,
                reason="batch assignment",
                now=now,
                outbox=outbox,
            )
            if row in pairs:
                column = pairs[row]
                provider_id = int(pool.ids[column])
                await offers.make_offers(
                    session,
                    order,
                    [Ranked(provider_id, float(scores[row, column]), 0.0)],
                    policy=policy,
                    now=now,
                    actor=actor,
                    outbox=outbox,
                    event=OrderEvent.OFFER,
                    reason=f"batch assignment to provider #{provider_id}",
                )
                assigned[order.id] = provider_id
            else:
                await offers.match_order(
                    session, order, policy=policy, now=now, actor=orders.SYSTEM, outbox=outbox
                )
        await session.commit()
    await announce(runtime, outbox)
    return BatchResult(assigned, [o.id for o in waiting if o.id not in assigned])
