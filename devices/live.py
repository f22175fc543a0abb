"""The devices part of the dashboard's live snapshot."""

from __future__ import annotations

from typing import Any

from accounts.models import StaffUser
from devices import service
from runtime.context import Runtime


async def snapshot_part(runtime: Runtime, user: StaffUser) -> Any:
    async with runtime.sessions() as session:
        return await service.fleet_summary(session, now=runtime.clock.now())
