"""What the liveness domain announces on the live feed."""

from __future__ import annotations

from accounts.audiences import audience
from liveness.models import DecisionRecord
from runtime.bus import EventBus

DECISION_TOPIC = "liveness.decision"


def announce_decision(bus: EventBus, record: DecisionRecord) -> None:
    """A check's outcome for the staff who act on it (no scores, no images)."""
    bus.publish(DECISION_TOPIC, {"senior_id": record.senior_id, "decision_id": record.id,
                                 "outcome": record.outcome, "channel": record.channel},
                roles=audience(DECISION_TOPIC))
