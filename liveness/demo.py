"""Demo certifications: a spread of certified, due-soon and overdue seniors (idempotent)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from liveness.models import Certification
from seniors import service as seniors_service

# Days from today to each demo senior's certification end, by position: overdue, due soon, fine.
OFFSETS = (-20, 10, 200, 45, -3, 330, 25, 120)


async def seed_certifications(session: AsyncSession, *, today: date) -> int:
    if await session.scalar(select(func.count()).select_from(Certification)):
        return 0
    seniors = await seniors_service.first_seniors(session, include_archived=True)
    added = 0
    for n, senior in enumerate(seniors):
        for category in senior.subsidy_categories:
            until = today + timedelta(days=OFFSETS[n % len(OFFSETS)])
            session.add(Certification(senior_id=senior.id, category=category,
                                      certified_until=until, back_pay_due=False))
            added += 1
    await session.flush()
    return added
