"""Topics this domain publishes on the internal event bus."""

DEVICE_EVENT = "device.event"
DEVICE_PROVISIONED = "device.provisioned"
# {"ingest": client id, "consuming": bool, "reason": str}, on every change, for supervisors
INGEST_HEALTH = "ingest.health"
