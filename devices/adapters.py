"""Payload adapters, as a table: each turns one model family's wire format into an Inbound.

``native`` is Anxin's own schema (docs/mqtt.md); ``thingsboard_wristband`` reads the keys of the
ThingsBoard assisted-living wristband (pulse, temperature, battery, panicButton, noise).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
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
    """The ThingsBoard wristband's telemetry keys; ``ts`` in epoch milliseconds if sent."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    pulse: float | None = None
    temperature: float | None = None
    battery: Annotated[float | None, Field(ge=0, le=100)] = None
    noise: float | None = None
    panicButton: bool = False
    ts: Annotated[int | None, Field(ge=0)] = None


WRISTBAND_METRICS = {"pulse": "heart_rate", "temperature": "temperature", "battery": "battery",
                     "noise": "noise"}


def _validate(schema: type[M], payload: bytes) -> M:
    try:
        return schema.model_validate_json(payload)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise PayloadError(f"{schema.__name__}: {where}: {first['msg']}"[:300]) from error


def _status(device_id: str, payload: bytes) -> Inbound:
    status = _validate(StatusPayload, payload)
    return Inbound(device_id=device_id, status=StatusReport(
        device_id=device_id, online=status.state == "online", battery=status.battery))


def read_native(device_id: str, channel: Channel, payload: bytes, model: DeviceModel,
                received_at: datetime) -> Inbound:
    if channel is Channel.STATUS:
        return _status(device_id, payload)
    if channel is Channel.EVENT:
        event = _quick_event(payload, model) or _validate(EventPayload, payload)
        if event.type not in model.events:
            raise PayloadError(f"event type {event.type!r} is not sent by model {model.id}")
        return Inbound(device_id=device_id, sent_at=event.sent_at, events=(DeviceEvent(
            device_id=device_id, event_id=event.event_id, type=event.type,
            occurred_at=event.ts.astimezone(UTC), detail=event.detail),))
    telemetry = _quick_telemetry(payload, model) or _validate(TelemetryPayload, payload)
    unknown = sorted(set(telemetry.values) - model.metrics)
    if unknown:
        raise PayloadError(f"metric {unknown[0]!r} is not reported by model {model.id}")
    at = telemetry.ts.astimezone(UTC)
    return Inbound(device_id=device_id, sent_at=telemetry.sent_at, readings=tuple(
        Reading(device_id=device_id, metric=metric, value=value, measured_at=at,
                seq=telemetry.seq)
        for metric, value in telemetry.values.items()))


# The quick checks below accept only payloads that are plainly good (the usual case) and build
# the same wire model without pydantic's per-field machinery. Anything they are unsure of, they
# leave to the full pydantic validation, which also words the dead letter's reason; a property
# test holds both paths to the same result.
ISO_UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)")
EVENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
TELEMETRY_KEYS = frozenset({"ts", "values", "seq", "sent_at"})
SAFE_INTEGER = 2**53
EVENT_KEYS = frozenset({"event_id", "ts", "type", "detail", "sent_at"})


def _plain_object(payload: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if type(data) is dict else None


def _plain_time(value: object) -> datetime | None:
    if type(value) is not str or not ISO_UTC_TIME.fullmatch(value):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:  # e.g. month 13: the full validation words the reason
        return None
    return at if at.tzinfo is not None else None


def _plain_number(value: object) -> bool:
    if type(value) is int:
        return -SAFE_INTEGER <= value <= SAFE_INTEGER
    return type(value) is float and math.isfinite(value)


def _quick_telemetry(payload: bytes, model: DeviceModel) -> TelemetryPayload | None:
    data = _plain_object(payload)
    if data is None or not data.keys() <= TELEMETRY_KEYS:
        return None
    ts, values = _plain_time(data.get("ts")), data.get("values")
    seq, sent_at = data.get("seq"), data.get("sent_at")
    if (ts is None or type(values) is not dict or not 1 <= len(values) <= 32
            or not all(metric in model.metrics and _plain_number(value)
                       for metric, value in values.items())
            or not (seq is None or (type(seq) is int and 0 <= seq < SAFE_INTEGER))
            or not (sent_at is None or _plain_number(sent_at))):
        return None
    return TelemetryPayload.model_construct(
        ts=ts, values={metric: float(value) for metric, value in values.items()}, seq=seq,
        sent_at=None if sent_at is None else float(sent_at))


def _quick_event(payload: bytes, model: DeviceModel) -> EventPayload | None:
    data = _plain_object(payload)
    if data is None or not data.keys() <= EVENT_KEYS:
        return None
    event_id, ts, kind = data.get("event_id"), _plain_time(data.get("ts")), data.get("type")
    detail, sent_at = data.get("detail", {}), data.get("sent_at")
    if (type(event_id) is not str or not EVENT_ID.fullmatch(event_id) or ts is None
            or type(kind) is not str or kind not in model.events
            or type(detail) is not dict or len(detail) > 32
            or not (sent_at is None or _plain_number(sent_at))):
        return None
    return EventPayload.model_construct(
        event_id=event_id, ts=ts, type=kind, detail=detail,
        sent_at=None if sent_at is None else float(sent_at))


def read_wristband(device_id: str, channel: Channel, payload: bytes, model: DeviceModel,
                   received_at: datetime) -> Inbound:
    if channel is Channel.STATUS:
        return _status(device_id, payload)
    if channel is not Channel.TELEMETRY:
        raise PayloadError(f"model {model.id} publishes only telemetry and status")
    data = _validate(WristbandPayload, payload)
    at = datetime.fromtimestamp(data.ts / 1000, UTC) if data.ts is not None else received_at
    readings = tuple(
        Reading(device_id=device_id, metric=metric, value=value, measured_at=at)
        for key, metric in WRISTBAND_METRICS.items()
        if (value := getattr(data, key)) is not None
    )
    if not readings and not data.panicButton:
        raise PayloadError("wristband payload has none of pulse, temperature, battery, noise")
    events: tuple[DeviceEvent, ...] = ()
    if data.panicButton:
        # The wristband sends no event id; its timestamp (or the exact bytes, when it sends
        # none) names the press, so a retransmission is recognised as the same press.
        name = str(data.ts) if data.ts is not None else hashlib.sha256(payload).hexdigest()[:24]
        events = (DeviceEvent(device_id=device_id, event_id=f"panic-{name}", type="sos",
                              occurred_at=at, detail={"source": "panicButton"}),)
    return Inbound(device_id=device_id, readings=readings, events=events)


ADAPTERS: dict[str, Adapter] = {"native": read_native, "thingsboard_wristband": read_wristband}
