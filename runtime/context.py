"""The runtime context: every long-lived resource, created and closed by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from config.settings import Settings
from runtime.bus import EventBus
from runtime.clock import Clock

if TYPE_CHECKING:
    from accounts.runtime import AccountsRuntime
    from callcenter.lifespan import CallCenterRuntime
    from callcenter.routing.desk import RoutingDesk
    from cluster.leases import Leases
    from devices.lifespan import DevicesRuntime
    from dispatch.flows import DispatchRuntime
    from liveness.runtime import LivenessRuntime
    from messaging.lifespan import MessagingRuntime


@dataclass
class Runtime:
    """What request handlers and background tasks share."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: EventBus
    leases: Leases  # cluster-wide jobs (cluster/leases.py)
    # Each domain that owns a long-lived resource sets its slot from its lifespan part.
    accounts: AccountsRuntime | None = None
    routing: RoutingDesk | None = None
    callcenter: CallCenterRuntime | None = None
    devices: DevicesRuntime | None = None
    dispatch: DispatchRuntime | None = None
    liveness: LivenessRuntime | None = None
    messaging: MessagingRuntime | None = None
