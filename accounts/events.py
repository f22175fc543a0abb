"""What the accounts domain publishes: a staff session ended (publish after the commit)."""

from __future__ import annotations

from accounts.audiences import audience
from runtime.bus import EventBus

SESSION_ENDED = "session.ended"


def publish_session_ended(bus: EventBus, *, user_id: int) -> None:
    """Open live feeds of this user re-check their session at once (and close if it is gone)."""
    bus.publish(SESSION_ENDED, {"user_id": user_id}, roles=audience(SESSION_ENDED))
