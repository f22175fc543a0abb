"""What every device message becomes at the edge: frozen readings, events and status reports.

The alarm rules consume these types; they never see a device's own payload format.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Reading(BaseModel):
    """One measured value, e.g. heart_rate 72 at 09:00:05."""

    model_config = ConfigDict(frozen=True)

    device_id: str
    metric: str
    value: float
    measured_at: datetime
    seq: int | None = None


class DeviceEvent(BaseModel):
    """Something that happened (sos, fall, door_open, smoke...), named by the device's event_id."""

    model_config = ConfigDict(frozen=True)

    device_id: str
    event_id: str
    type: str
    occurred_at: datetime
    detail: dict[str, Any] = {}


class StatusReport(BaseModel):
    """The device says it is online or offline (also sent by the broker as its last will)."""

    model_config = ConfigDict(frozen=True)

    device_id: str
    online: bool
    battery: float | None = None


class Inbound(BaseModel):
    """Everything one MQTT message said, normalised; ``sent_at`` is set by benchmark traffic."""

    model_config = ConfigDict(frozen=True)

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
