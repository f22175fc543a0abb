"""What a watch frame says, as MQTT-contract payloads: readings for telemetry, events for alarms.

Field order of the position reports (UD, UD2, UD3, UD_LTE, UD_WCDMA, WT, AL, AL_LTE): date
ddmmyy, time hhmmss, fix A/V, latitude, N/S, longitude, E/W, speed km/h, course, altitude,
satellites, rssi, battery %, steps, tumbles, status (hex), then cell towers and Wi-Fi points.
The status word's upper half names alarms (bit 16 SOS, 17 low battery, 18 left the geofence,
19 entered it, 20 taken off the wrist, 21/22 fall); its lower half states (bit 0 low battery,
bit 1 outside the geofence).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from devices.watch.frames import Frame

# The device model every watch is registered as (devices/catalogue.py).
MODEL = "3g-watch"
POSITION_TYPES = frozenset({"UD", "UD2", "UD3", "UD_LTE", "UD_WCDMA", "WT"})
ALARM_TYPES = frozenset({"AL", "AL_LTE"})
# Alarm bits of the status word → the event the MQTT contract names.
ALARM_BITS: dict[int, str] = {16: "sos", 17: "low_battery", 18: "geofence_exit",
                              20: "wristband_removed", 21: "fall", 22: "fall"}
STATE_BITS: dict[int, str] = {0: "low_battery", 1: "geofence_exit"}
# A watch's clock this far from ours is wrong (never set, or local time sent as UTC): use the
# time the frame arrived, and keep the watch's own in the detail.
CLOCK_TRUST = timedelta(hours=12)


class WatchMessageError(ValueError):
    """A frame whose content cannot be read; the text is the dead letter's reason."""


@dataclass(frozen=True, slots=True)
class Position:
    """A position report's fields (coordinates only with a fix)."""

    at: datetime | None
    fixed: bool
    latitude: float | None
    longitude: float | None
    battery: float
    steps: int
    tumbles: int
    status: int
    speed: float = 0.0


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One event to publish; ``event_id`` is derived from the frame, so a resend repeats it."""

    event_id: str
    type: str
    at: datetime
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Decoded:
    """What one frame becomes: readings at a moment, events, and the reply the watch expects."""

    at: datetime
    readings: dict[str, float] = field(default_factory=dict)
    events: tuple[WatchEvent, ...] = ()
    reply: str | None = None


def _number(text: str, what: str) -> float:
    try:
        return float(text.strip() or 0)
    except ValueError:
        raise WatchMessageError(f"{what} {text[:20]!r} is not a number") from None


def _coordinate(value: str, hemisphere: str, negative: str) -> float:
    number = _number(value, "coordinate")
    return -abs(number) if hemisphere == negative else number


def _time(date: str, clock: str) -> datetime | None:
    try:
        return datetime.strptime(date + clock, "%d%m%y%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None  # some watches send 000000 before their first fix


def read_position(fields: list[str]) -> Position:
    if len(fields) < 16:
        raise WatchMessageError(f"position report has {len(fields)} fields, needs 16")
    latitude = _coordinate(fields[3], fields[4], "S")
    longitude = _coordinate(fields[5], fields[6], "W")
    fixed = fields[2] == "A"
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise WatchMessageError(f"position {latitude},{longitude} is off the globe")
    try:
        status = int(fields[15] or "0", 16)
    except ValueError:
        raise WatchMessageError(f"status {fields[15][:12]!r} is not hex") from None
    known = fixed or (latitude, longitude) != (0.0, 0.0)
    return Position(at=_time(fields[0], fields[1]), fixed=fixed,
                    latitude=latitude if known else None, longitude=longitude if known else None,
                    speed=_number(fields[7], "speed"), battery=_number(fields[12], "battery"),
                    steps=int(_number(fields[13], "steps")),
                    tumbles=int(_number(fields[14], "tumbles")), status=status)


def _moment(at: datetime | None, now: datetime) -> datetime:
    return at if at is not None and abs(at - now) <= CLOCK_TRUST else now


def _position_readings(position: Position) -> dict[str, float]:
    readings: dict[str, float] = {"battery": min(max(position.battery, 0), 100),
                                  "steps": position.steps}
    if position.latitude is not None and position.longitude is not None:
        readings |= {"latitude": position.latitude, "longitude": position.longitude}
    return readings


def alarm_types(status: int) -> list[str]:
    """The events an AL frame's status word names; an alarm frame naming none is an SOS (the
    watch's one button), since ignoring an alarm is the worse mistake."""
    named = [kind for bit, kind in ALARM_BITS.items() if status >> bit & 1]
    named += [kind for bit, kind in STATE_BITS.items() if status >> bit & 1]
    return list(dict.fromkeys(named)) or ["sos"]


def _alarm(frame: Frame, now: datetime) -> Decoded:
    position = read_position(frame.fields)
    at = _moment(position.at, now)
    # The same frame resent (no AL reply yet) hashes the same: the ingest stores it once.
    digest = hashlib.sha256(frame.content).hexdigest()[:12]
    stamp = position.at.strftime("%y%m%d%H%M%S") if position.at else "0"
    detail: dict[str, Any] = {"source": "3g-watch", "frame": frame.type,
                              "status": f"{position.status:08x}", "fix": position.fixed}
    if position.latitude is not None and position.longitude is not None:
        detail |= {"latitude": position.latitude, "longitude": position.longitude}
    if position.at is not None and at != position.at:
        detail["watch_time"] = position.at.isoformat()
    events = tuple(WatchEvent(f"{kind}-{stamp}-{digest}", kind, at, detail)
                   for kind in alarm_types(position.status))
    return Decoded(at=at, readings=_position_readings(position), events=events, reply="AL")


def _position(frame: Frame, now: datetime) -> Decoded:
    position = read_position(frame.fields)
    return Decoded(at=_moment(position.at, now), readings=_position_readings(position))


def _heartbeat(frame: Frame, now: datetime) -> Decoded:
    fields = frame.fields
    readings: dict[str, float] = {}
    if len(fields) >= 3:  # LK,steps,tumbles,battery
        readings = {"steps": _number(fields[0], "steps"),
                    "battery": min(max(_number(fields[2], "battery"), 0), 100)}
    return Decoded(at=now, readings=readings, reply="LK")


def _heart_rate(frame: Frame, now: datetime) -> Decoded:
    value = _number(frame.fields[0], "heart rate") if frame.fields else 0
    return Decoded(at=now, readings={"heart_rate": value} if value > 0 else {})


def _blood_pressure(frame: Frame, now: datetime) -> Decoded:
    fields = [part for part in frame.fields if part.strip()]
    if len(fields) < 2:
        raise WatchMessageError(f"{frame.type} needs systolic and diastolic values")
    readings = {"blood_pressure": _number(fields[0], "systolic"),
                "blood_pressure_diastolic": _number(fields[1], "diastolic")}
    if len(fields) > 2 and _number(fields[2], "heart rate") > 0:
        readings["heart_rate"] = _number(fields[2], "heart rate")
    return Decoded(at=now, readings=readings)


def _temperature(frame: Frame, now: datetime) -> Decoded:
    fields = frame.fields
    if len(fields) < 2:
        raise WatchMessageError("btemp2 needs a flag and a temperature")
    measured = _number(fields[0], "flag") > 0
    return Decoded(at=now, readings={"temperature": _number(fields[1], "temperature")}
                   if measured else {})


def _reply_only(reply: str | None) -> Callable[[Frame, datetime], Decoded]:
    return lambda frame, now: Decoded(at=now, reply=reply if reply else frame.type)


READERS: dict[str, Callable[[Frame, datetime], Decoded]] = {
    "INIT": _reply_only("INIT,1"),
    "LK": _heartbeat,
    "PULSE": _heart_rate,
    "HEART": _heart_rate,
    "BLOOD": _blood_pressure,
    "BPHRT": _blood_pressure,
    "BTEMP2": _temperature,
    "TKQ": _reply_only(None),
    "TKQ2": _reply_only(None),
    **dict.fromkeys(POSITION_TYPES, _position),
    **dict.fromkeys(ALARM_TYPES, _alarm),
}


def decode(frame: Frame, now: datetime) -> Decoded:
    """The frame's readings, events and reply, or WatchMessageError naming the problem."""
    reader = READERS.get(frame.type.upper())
    if reader is None:
        raise WatchMessageError(f"message type {frame.type[:20]!r} is not one Anxin reads")
    return reader(frame, now)
