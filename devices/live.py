"""The devices part of the dashboard's live snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devices import service
from runtime.context import Runtime

if TYPE_CHECKING:  # the signed-in person a route or the live feed hands in
    from accounts.models import StaffUser


async def snapshot_part(runtime: Runtime, user: StaffUser) -> Any:
    async with runtime.sessions() as session:
        return await service.fleet_summary(session, now=runtime.clock.now())
