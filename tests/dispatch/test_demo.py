"""The demo seed: fifteen providers in Hohhot and a few orders, added once."""

from __future__ import annotations

from sqlalchemy import func, select

from config.settings import Settings
from dashboard.app import open_runtime
from dispatch.models import Provider, ServiceOrder
from runtime.clock import ManualClock


async def test_demo_seed_adds_providers_and_orders_once(settings: Settings) -> None:
    """Seeding twice leaves 15 providers and 3 orders, one of them accepted."""
    demo = settings.model_copy(update={"demo": True})
    for _ in range(2):
        async with open_runtime(demo, ManualClock()) as runtime, runtime.sessions() as session:
            providers = await session.scalar(select(func.count()).select_from(Provider))
            states = list(await session.scalars(select(ServiceOrder.state)))
    assert providers == 15
    assert len(states) == 3 and "accepted" in states
