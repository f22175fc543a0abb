"""HTTP shapes of the devices API. (Device messages are parsed in devices.adapters.)"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from devices.catalogue import DeviceKind

DeviceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{2,63}$")]


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Annotated[str, Field(max_length=32)]
    senior_id: int | None = None
    location: Annotated[str, Field(max_length=64)] = ""
    id: DeviceId | None = None


class DeviceOut(BaseModel):
    id: str
    model: str
    kind: DeviceKind
    senior_id: int | None
    location: str
    heartbeat_seconds: int
    grace_seconds: int
    state: str
    last_seen: datetime | None
    online: bool
    battery: float | None


class ProvisionedDevice(BaseModel):
    """The answer to provisioning: the only time the password is shown."""

    device: DeviceOut
    mqtt_username: str
    mqtt_password: str
    topics: dict[str, str]


class DeadLetterOut(BaseModel):
    id: int
    received_at: datetime
    topic: str
    reason: str
    payload_preview: str
    payload_size: int
