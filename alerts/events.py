"""What the alerts publish on the live feed (after the commit), and their snapshot part."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accounts.audiences import audience
from alerts import service
from alerts.models import SupervisorAlert
from alerts.schemas import AlertOut
from runtime.bus import EventBus
from runtime.context import Runtime

if TYPE_CHECKING:  # the signed-in person a route or the live feed hands in
    from accounts.models import StaffUser

TOPIC = "alert.changed"
AUDIENCE = audience(TOPIC)


def publish(bus: EventBus, alert: SupervisorAlert) -> None:
    bus.publish(TOPIC, AlertOut.of(alert).model_dump(mode="json"), roles=AUDIENCE)


async def snapshot_part(runtime: Runtime, user: StaffUser) -> Any:
    """Every alert not yet closed, newest first."""
    if user.role not in (*AUDIENCE, "admin"):
        return {"open": []}
    async with runtime.sessions() as session:
        alerts = await service.list_alerts(session)
    return {"open": [AlertOut.of(alert).model_dump(mode="json") for alert in alerts]}
