"""HTTP shapes of the devices API. (Device messages are parsed in devices.adapters.)"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from devices.catalogue import DeviceKind
from devices.topics import RESERVED_RULE, is_reserved
from seniors.phones import normalise_phone
from storage.bounds import RowId

DeviceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{2,63}$")]


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Annotated[str, Field(max_length=32)]
    senior_id: RowId | None = None
    location: Annotated[str, Field(max_length=64)] = ""
    id: DeviceId | None = None

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str | None) -> str | None:
        if value is not None and is_reserved(value):
            raise ValueError(RESERVED_RULE)
        return value


class DeviceUpdate(BaseModel):
    """``PATCH /api/v1/devices/{id}``: only the fields sent change; ``null`` clears the senior
    or the phone number."""

    model_config = ConfigDict(extra="forbid")

    senior_id: RowId | None = None
    location: Annotated[str, Field(max_length=64)] | None = None
    heartbeat_seconds: Annotated[int, Field(ge=10, le=86_400)] | None = None
    grace_seconds: Annotated[int, Field(ge=0, le=86_400)] | None = None
    state: Literal["active", "retired"] | None = None
    phone: str | None = None

    @field_validator("phone")
    @classmethod
    def _normalise_phone(cls, value: str | None) -> str | None:
        return None if value is None else normalise_phone(value)


class DeviceOut(BaseModel):
    id: str
    model: str
    kind: DeviceKind
    senior_id: RowId | None
    senior_name: str = ""  # who wears or lives with it, for people; "" when unassigned
    location: str
    heartbeat_seconds: int
    grace_seconds: int
    state: str
    last_seen: datetime | None
    online: bool
    battery: float | None
    phone: str | None = None


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
    device_id: str | None = None
    repeats: int = Field(0, description="further dead letters from the same device within the "
                                        "hour, counted but not stored")


WatchCommandName = Literal["locate", "message", "find", "sos_numbers", "report_interval", "remind",
                           "language", "reset", "power_off"]


class CommandRequest(BaseModel):
    """``POST /api/v1/devices/{id}/commands``: the command and the arguments it needs."""

    model_config = ConfigDict(extra="forbid")

    command: WatchCommandName
    text: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    numbers: Annotated[list[str] | None, Field(max_length=3)] = None
    seconds: int | None = None
    times: Annotated[list[str] | None, Field(max_length=3)] = None
    language: Annotated[int | None, Field(ge=0, le=99)] = None
    timezone: Annotated[float | None, Field(ge=-12, le=14)] = None


class CommandOut(BaseModel):
    """A command as recorded: ``outcome`` answered, no_answer or not_connected."""

    id: int
    device_id: str
    command: str
    content: str
    requested_by: str
    requested_at: datetime
    outcome: Literal["answered", "no_answer", "not_connected"]
    answer: str | None
    answered_at: datetime | None


class PositionOut(BaseModel):
    """A watch's last reported position, its age, and how far it is from the senior's home."""

    device_id: str
    latitude: float
    longitude: float
    measured_at: datetime
    age_seconds: float
    meters_from_home: float | None
    link: str | None
