"""Whether an ingest is consuming: the state the readiness probe reads, announced on the bus.

The ingest proves its own subscription: every few seconds it publishes a probe on
``anxin/v1/devices/<its client id>/event`` (an id no device can have, see ``devices.topics``),
which comes back through the same subscription that carries SOS events. An ingest that has
received nothing at all, not even its probe, for longer than its stall limit is not consuming:
it says so here and reconnects and subscribes again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from devices import events
from runtime.bus import EventBus

log = logging.getLogger(__name__)
# Who sees the changes live: supervisors watch the system's own health (admins see everything).
HEALTH_ROLES = ("supervisor",)


@dataclass
class IngestHealth:
    """One ingest's state; ``set`` logs and publishes ``ingest.health`` on every change."""

    name: str
    bus: EventBus | None = None
    consuming: bool = False
    reason: str = "not connected to the broker yet"

    def set(self, *, consuming: bool, reason: str) -> None:
        if (consuming, reason) == (self.consuming, self.reason):
            return
        was_consuming = self.consuming
        self.consuming, self.reason = consuming, reason
        if consuming:
            log.info("ingest %s is consuming (%s)", self.name, reason)
        elif was_consuming:
            log.error("ingest %s stopped consuming: %s", self.name, reason)
        else:
            log.warning("ingest %s is not consuming: %s", self.name, reason)
        if self.bus is not None:
            self.bus.publish(events.INGEST_HEALTH, self.as_dict(), roles=HEALTH_ROLES)

    def as_dict(self) -> dict[str, object]:
        return {"ingest": self.name, "consuming": self.consuming, "reason": self.reason}
