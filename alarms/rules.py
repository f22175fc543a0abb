"""The alarm rules as data: which device events raise which alarm, and the time-based limits.

Adding a sensor event is a line in ``EVENT_ALARMS``; the engine (``alarms.engine``) reads these
tables and never names an event itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta


@dataclass(frozen=True)
class Observation:
    """One stored device message as the rules see it: who, when, what happened, what it read."""

    senior_id: int
    device_id: str
    at: datetime
    event: str | None = None
    readings: Mapping[str, float] = field(default_factory=dict)
    location: tuple[float, float] | None = None
    event_id: str | None = None  # the device's own id of the event, kept with the alarm


# Device events that raise an alarm at once: event name → alarm kind.
EVENT_ALARMS: dict[str, str] = {
    "sos": "sos",
    "panic": "sos",
    "red_key": "sos",
    "pull_cord": "sos",
    "fall": "fall",
    "smoke": "smoke",
    "carbon_monoxide": "carbon_monoxide",
    "co": "carbon_monoxide",
    "gas": "gas",
    "water_leak": "water_leak",
    "wristband_removed": "wristband_removed",
    "tamper": "tamper",
    "power_failure": "power_failure",
    "power_loss": "power_failure",
    "geofence_exit": "geofence_exit",
    "low_battery": "low_battery",
    "green_key": "service_request",
    "test": "test_call",
}
# Events that say the senior is up and about.
MOTION_EVENTS = frozenset({"motion", "door_open", "door_closed", "door_close", "bed_occupied",
                           "bed_empty", "bed_enter", "bed_exit", "sos", "red_key", "pull_cord",
                           "green_key"})
BED_EVENTS: dict[str, bool] = {"bed_occupied": True, "bed_enter": True, "bed_empty": False,
                               "bed_exit": False}
# What a device's metric means depends on what the device is: a watch's temperature is the
# senior's, a home unit's is the room's.
METRIC_BY_DEVICE_KIND: dict[tuple[str, str], str] = {
    ("wearable", "temperature"): "body_temperature",
    ("home_unit", "temperature"): "room_temperature",
    ("sensor", "temperature"): "room_temperature",
}
LOCATION_METRICS = ("latitude", "longitude")
# Device models worn "just in case": if one is never pressed or moved for weeks, it is probably
# in a drawer, and the senior is unprotected.
PENDANT_MODELS = frozenset({"anxin-pendant"})
OUTER_DOOR_EVENTS = frozenset({"door_open"})
# Alarms whose open instance an SOS or a fall raises to P1 (a correlated, confirmed emergency).
CORRELATED_WITH_EMERGENCY = frozenset({"inactivity", "night_wandering", "geofence_exit",
                                       "bed_not_reoccupied", "wristband_removed"})


@dataclass(frozen=True)
class TimeRules:
    """Defaults for the time-based rules; each senior's profile may override some."""

    inactivity: timedelta = timedelta(hours=4)
    night_starts: time = time(22, 0)
    night_ends: time = time(7, 0)
    fall_then_still: timedelta = timedelta(minutes=2)
    low_battery_percent: float = 20.0
    battery_clears_percent: float = 30.0
    room_too_cold: float = 10.0  # °C; clears above room_clear_low
    room_too_hot: float = 35.0  # °C; clears below room_clear_high
    room_clear_low: float = 16.0
    room_clear_high: float = 30.0
    pendant_unused: timedelta = timedelta(days=30)


DEFAULT_TIME_RULES = TimeRules()


def is_night(local: datetime, rules: TimeRules = DEFAULT_TIME_RULES) -> bool:
    moment = local.timetz().replace(tzinfo=None)
    return moment >= rules.night_starts or moment < rules.night_ends
