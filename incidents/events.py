"""What the incidents domain tells the live feed; publish only after the commit."""

from __future__ import annotations

from accounts.audiences import audience
from incidents.models import Incident
from runtime.bus import EventBus

INCIDENT_UPDATED = "incident.updated"


def publish_updated(bus: EventBus, incident: Incident, *, what: str) -> None:
    """Tell dashboards that an incident changed (``what``: opened, note, linked, closed…)."""
    bus.publish(INCIDENT_UPDATED, {
        "id": incident.id, "senior_id": incident.senior_id, "state": incident.state,
        "owner": incident.owner, "what": what,
        "summary": f"incident #{incident.id} · {what}",
    }, roles=audience(INCIDENT_UPDATED))
