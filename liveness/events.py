"""What the liveness domain announces on the live feed."""

from __future__ import annotations

from accounts.roles import Role
from liveness.models import DecisionRecord
from runtime.bus import EventBus

DECISION_TOPIC = "liveness.decision"
WATCHERS = (Role.SUBSIDY_STAFF, Role.SUPERVISOR, Role.ADMIN)


def announce_decision(bus: EventBus, record: DecisionRecord) -> None:
    """A check's outcome for the staff who act on it (no scores, no images)."""
    bus.publish(DECISION_TOPIC, {"senior_id": record.senior_id, "decision_id": record.id,
                                 "outcome": record.outcome, "channel": record.channel},
                roles=[role.value for role in WATCHERS])
