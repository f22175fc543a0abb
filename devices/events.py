"""Topics this domain publishes on the internal event bus."""

DEVICE_EVENT = "device.event"
DEVICE_PROVISIONED = "device.provisioned"
