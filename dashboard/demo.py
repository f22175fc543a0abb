"""Seeding the demo: staff accounts first, then each domain's made-up data."""

from __future__ import annotations

import logging

from accounts import demo as accounts_demo
from areas import demo as areas_demo
from callcenter.knowledge import demo as knowledge_demo
from callcenter.routing import demo as routing_demo
from dispatch import demo as dispatch_demo
from liveness import demo as liveness_demo
from runtime.context import Runtime
from seniors import demo as seniors_demo

log = logging.getLogger(__name__)


async def seed(runtime: Runtime) -> None:
    """Create whatever demo data is missing; running it twice changes nothing."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        await areas_demo.seed_centres(session)
        accounts = await accounts_demo.seed_accounts(session, settings=runtime.settings, now=now)
        seniors = await seniors_demo.seed_seniors(session, now=now)
        seniors += await seniors_demo.seed_border_seniors(session, now=now)
        await routing_demo.seed_operators(session)
        await knowledge_demo.seed_articles(session, now=now)
        await liveness_demo.seed_certifications(session, today=now.date())
        await session.commit()
    if accounts or seniors:
        log.info("demo data seeded: %d accounts, %d seniors", len(accounts), seniors)
    await dispatch_demo.seed_dispatch(runtime)
