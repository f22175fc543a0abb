"""Erlang C, computed with the Erlang B recurrence so large centres do not overflow.

Traffic A (erlangs) = calls per hour × handle time in hours. With N operators (N > A) the chance
a call waits is C(N, A); the share answered within T seconds is
``1 - C(N, A) · exp(-(N - A) · T / AHT)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class StaffingPlan:
    operators: int
    traffic_erlangs: float
    service_level: float
    probability_wait: float
    average_speed_of_answer_seconds: float
    occupancy: float
    operators_with_shrinkage: int


def erlang_b(servers: int, traffic: float) -> float:
    """Blocking probability by the recurrence B(n) = A·B(n-1) / (n + A·B(n-1))."""
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def erlang_c(servers: int, traffic: float) -> float:
    """Probability that a call has to wait; 1 when the operators cannot carry the traffic."""
    if servers <= traffic:
        return 1.0
    blocking = erlang_b(servers, traffic)
    return servers * blocking / (servers - traffic * (1 - blocking))


def service_level(servers: int, traffic: float, handle_seconds: float,
                  within_seconds: float) -> float:
    if servers <= traffic:
        return 0.0
    wait = erlang_c(servers, traffic)
    return 1 - wait * math.exp(-(servers - traffic) * within_seconds / handle_seconds)


def plan(*, calls_per_hour: float, handle_seconds: float, target: float, within_seconds: float,
         shrinkage: float = 0.0, max_operators: int = 10_000) -> StaffingPlan:
    """The fewest operators whose service level meets ``target`` within ``within_seconds``."""
    if calls_per_hour <= 0 or handle_seconds <= 0:
        raise ValueError("calls_per_hour and handle_seconds must be positive")
    if not 0 < target < 1:
        raise ValueError("target must be a share between 0 and 1, e.g. 0.985")
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be a share between 0 and 1")
    traffic = calls_per_hour * handle_seconds / 3600
    servers = max(1, math.floor(traffic) + 1)
    while service_level(servers, traffic, handle_seconds, within_seconds) < target:
        servers += 1
        if servers > max_operators:
            raise ValueError(f"more than {max_operators} operators would be needed")
    wait = erlang_c(servers, traffic)
    return StaffingPlan(
        operators=servers,
        traffic_erlangs=round(traffic, 4),
        service_level=round(service_level(servers, traffic, handle_seconds, within_seconds), 5),
        probability_wait=round(wait, 5),
        average_speed_of_answer_seconds=round(wait * handle_seconds / (servers - traffic), 2),
        occupancy=round(traffic / servers, 4),
        operators_with_shrinkage=math.ceil(servers / (1 - shrinkage)),
    )


def curve(*, calls_per_hour: float, handle_seconds: float, within_seconds: float,
          upto: int, extra: int = 4) -> list[tuple[int, float]]:
    """Service level for each operator count from the least that can carry the traffic to
    ``upto + extra``: the curve the planner page draws."""
    traffic = calls_per_hour * handle_seconds / 3600
    first = max(1, math.floor(traffic) + 1)
    return [(n, round(service_level(n, traffic, handle_seconds, within_seconds), 5))
            for n in range(first, max(first, upto + extra) + 1)]
