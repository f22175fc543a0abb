"""What every device message becomes at the edge: frozen readings, events and status reports.

The alarm rules consume these types; they never see a device's own payload format. They are
plain frozen dataclasses: the adapters have already validated the payload, and the ingest makes
thousands of them a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Reading:
    """One measured value, e.g. heart_rate 72 at 09:00:05."""

    device_id: str
    metric: str
    value: float
    measured_at: datetime
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """Something that happened (sos, fall, door_open, smoke...), named by the device's event_id."""

    device_id: str
    event_id: str
    type: str
    occurred_at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The device says it is online or offline (also sent by the broker as its last will)."""

    device_id: str
    online: bool
    battery: float | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """Everything one MQTT message said, normalised; ``sent_at`` is set by benchmark traffic."""

    device_id: str
    readings: tuple[Reading, ...] = ()
    events: tuple[DeviceEvent, ...] = ()
    status: StatusReport | None = None
    sent_at: float | None = None

    @property
    def battery(self) -> float | None:
        for reading in self.readings:
            if reading.metric == "battery":
                return reading.value
        return self.status.battery if self.status else None
