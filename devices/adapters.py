"""Payload adapters, as a table: each turns one model family's wire format into an Inbound.

``native`` is Anxin's own schema (docs/mqtt.md); ``thingsboard_wristband`` reads the keys of the
ThingsBoard assisted-living wristband (pulse, temperature, battery, panicButton, noise).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from devices.catalogue import DeviceModel
from devices.exceptions import PayloadError
from devices.telemetry import DeviceEvent, Inbound, Reading, StatusReport
from devices.topics import Channel

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
Adapter = Callable[[str, Channel, bytes, DeviceModel, datetime], Inbound]
M = TypeVar("M", bound=BaseModel)
WIRE = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
# A device clock may run a little fast; a day ahead is a wrong clock or a wrong unit.
MOST_AHEAD = timedelta(hours=24)
# Stored event detail is at most this many bytes of JSON; a larger one is replaced by a note,
# and the event itself (maybe an SOS) is kept.
DETAIL_BYTES = 1024
# Epoch milliseconds below this are before 1973: such a number is a time in seconds.
SMALLEST_MILLISECONDS = 10**11


class TelemetryPayload(BaseModel):
    """``.../telemetry``: measured values at one moment."""

    model_config = WIRE

    ts: AwareDatetime
    values: Annotated[dict[Name, float], Field(min_length=1, max_length=32)]
    seq: Annotated[int | None, Field(ge=0)] = None
    sent_at: float | None = None


class EventPayload(BaseModel):
    """``.../event``: something happened; ``event_id`` is unique per device."""

    model_config = WIRE

    event_id: EventId
    ts: AwareDatetime
    type: Name
    detail: Annotated[dict[str, Any], Field(max_length=32)] = {}
    sent_at: float | None = None


class StatusPayload(BaseModel):
    """``.../status``: retained online/offline, also the device's last will."""

    model_config = WIRE

    state: Literal["online", "offline"]
    battery: Annotated[float | None, Field(ge=0, le=100)] = None
    ts: AwareDatetime | None = None


class WristbandPayload(BaseModel):
    """The ThingsBoard wristband's telemetry keys; ``ts`` in epoch milliseconds (or seconds)."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    pulse: float | None = None
    temperature: float | None = None
    battery: Annotated[float | None, Field(ge=0, le=100)] = None
    noise: float | None = None
    panicButton: bool = False
    ts: Annotated[int | None, Field(ge=0, le=253_402_300_799_999)] = None  # up to year 9999


WRISTBAND_METRICS = {"pulse": "heart_rate", "temperature": "temperature", "battery": "battery",
                     "noise": "noise"}


def _validate(schema: type[M], payload: bytes) -> M:
    try:
        return schema.model_validate_json(payload)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise PayloadError(f"{schema.__name__}: {where}: {first['msg']}"[:300]) from error


def check_time(at: datetime, model: DeviceModel, received_at: datetime) -> datetime:
    """``at`` in UTC, or PayloadError when it is further ahead than a clock may drift or older
    than the model keeps messages."""
    at = at.astimezone(UTC)
    if at - received_at > MOST_AHEAD:
        raise PayloadError(f"ts {at.isoformat()} is more than 24 h in the future "
                           f"(server time {received_at.isoformat()})")
    if received_at - at > timedelta(hours=model.max_age_hours):
        raise PayloadError(f"ts {at.isoformat()} is older than the {model.max_age_hours} h "
                           f"model {model.id} may keep a message")
    return at


def capped_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """The detail as sent, or a note of its size when it is over ``DETAIL_BYTES``."""
    size = len(json.dumps(detail, ensure_ascii=False).encode())
    if size <= DETAIL_BYTES:
        return detail
    return {"truncated": True, "bytes": size}


def _status(device_id: str, payload: bytes) -> Inbound:
    status = _validate(StatusPayload, payload)
    return Inbound(device_id=device_id, status=StatusReport(
        device_id=device_id, online=status.state == "online", battery=status.battery))


def read_native(device_id: str, channel: Channel, payload: bytes, model: DeviceModel,
                received_at: datetime) -> Inbound:
    if channel is Channel.STATUS:
        return _status(device_id, payload)
    if channel is Channel.EVENT:
        event = _validate(EventPayload, payload)
        if event.type not in model.events:
            raise PayloadError(f"event type {event.type!r} is not sent by model {model.id}")
        return Inbound(device_id=device_id, sent_at=event.sent_at, events=(DeviceEvent(
            device_id=device_id, event_id=event.event_id, type=event.type,
            occurred_at=check_time(event.ts, model, received_at),
            detail=capped_detail(event.detail)),))
    telemetry = _validate(TelemetryPayload, payload)
    unknown = sorted(set(telemetry.values) - model.metrics)
    if unknown:
        raise PayloadError(f"metric {unknown[0]!r} is not reported by model {model.id}")
    at = check_time(telemetry.ts, model, received_at)
    return Inbound(device_id=device_id, sent_at=telemetry.sent_at, readings=tuple(
        Reading(device_id=device_id, metric=metric, value=value, measured_at=at,
                seq=telemetry.seq)
        for metric, value in telemetry.values.items()))


# A ThingsBoard device may send a batch of samples at once; no wristband needs more than this.
MOST_SAMPLES = 100


def _wristband_samples(payload: bytes) -> list[WristbandPayload]:
    """ThingsBoard's telemetry forms: flat keys, ``{"ts": ..., "values": {...}}``, or an array
    of either."""
    try:
        data = json.loads(payload)
    except ValueError:
        raise PayloadError("wristband payload is not JSON") from None
    items = data if isinstance(data, list) else [data]
    if not 1 <= len(items) <= MOST_SAMPLES:
        raise PayloadError(f"wristband payload holds {len(items)} samples; 1 to "
                           f"{MOST_SAMPLES} are read")
    samples = []
    for item in items:
        if not isinstance(item, dict):
            raise PayloadError("wristband sample is not a JSON object")
        if "values" in item:
            values = item["values"]
            if not isinstance(values, dict) or set(item) - {"ts", "values"}:
                raise PayloadError('wristband sample: use {"ts": ..., "values": {...}} or flat '
                                   "keys")
            item = {**values, "ts": item.get("ts")}
        try:
            samples.append(WristbandPayload.model_validate(item))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "payload"
            raise PayloadError(f"WristbandPayload: {where}: {first['msg']}"[:300]) from error
    return samples


def _epoch(ts: int) -> datetime:
    """ThingsBoard sends milliseconds; some firmware sends seconds. Milliseconds below 10^11
    would be before 1973, so such a number is read as seconds."""
    return datetime.fromtimestamp(ts if ts < SMALLEST_MILLISECONDS else ts / 1000, UTC)


def read_wristband(device_id: str, channel: Channel, payload: bytes, model: DeviceModel,
                   received_at: datetime) -> Inbound:
    if channel is Channel.STATUS:
        return _status(device_id, payload)
    if channel is not Channel.TELEMETRY:
        raise PayloadError(f"model {model.id} publishes only telemetry and status")
    readings: list[Reading] = []
    events: list[DeviceEvent] = []
    for data in _wristband_samples(payload):
        at = (check_time(_epoch(data.ts), model, received_at)
              if data.ts is not None else received_at)
        sample = [Reading(device_id=device_id, metric=metric, value=value, measured_at=at)
                  for key, metric in WRISTBAND_METRICS.items()
                  if (value := getattr(data, key)) is not None]
        if not sample and not data.panicButton:
            raise PayloadError("wristband payload has none of pulse, temperature, battery, "
                               "noise")
        readings += sample
        if data.panicButton:
            # The wristband sends no event id; its timestamp (or the exact bytes, when it
            # sends none) names the press, so a retransmission is the same press.
            name = (str(int(at.timestamp() * 1000)) if data.ts is not None
                    else hashlib.sha256(payload).hexdigest()[:24])
            events.append(DeviceEvent(device_id=device_id, event_id=f"panic-{name}",
                                      type="sos", occurred_at=at,
                                      detail={"source": "panicButton"}))
    return Inbound(device_id=device_id, readings=tuple(readings), events=tuple(events))


ADAPTERS: dict[str, Adapter] = {"native": read_native, "thingsboard_wristband": read_wristband}
