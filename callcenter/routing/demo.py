"""Demo operators on the routing desk: trained for emergencies, as a real centre's are."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.routing.models import RoutingOperator
from callcenter.routing.rules import OperatorState

DEMO_OPERATORS = {"operator1": ["zh-CN", "mn"], "operator2": ["zh-CN"],
                  "erlian1": ["zh-CN", "mn"], "manzhouli1": ["zh-CN", "mn"]}
DEMO_SKILLS = ["emergency"]


async def seed_operators(session: AsyncSession) -> int:
    """Desk profiles for the demo operators (logged off until they go available)."""
    known = set((await session.execute(select(RoutingOperator.username))).scalars())
    missing = [name for name in DEMO_OPERATORS if name not in known]
    session.add_all(RoutingOperator(username=name, skills=DEMO_SKILLS,
                                    languages=DEMO_OPERATORS[name],
                                    state=OperatorState.OFFLINE.value, misses=0)
                    for name in missing)
    return len(missing)
