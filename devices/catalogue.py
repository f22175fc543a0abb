"""The device models Anxin knows, as data: what each reports, how often, and how to read it.

Adding a model is adding a row here; the payload adapter named in the row turns its messages
into the shared :mod:`devices.telemetry` types.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DeviceKind(StrEnum):
    WEARABLE = "wearable"
    HOME_UNIT = "home_unit"
    SENSOR = "sensor"


@dataclass(frozen=True, slots=True)
class DeviceModel:
    """One row of the catalogue."""

    id: str
    name: str
    kind: DeviceKind
    metrics: frozenset[str]
    events: frozenset[str]
    heartbeat_seconds: int
    grace_seconds: int
    adapter: str
    # How old a reading or event may be when it arrives: what the device keeps while it
    # cannot reach the broker. Anything older is a dead letter (a wrong clock, not news).
    max_age_hours: int


def _model(id: str, name: str, kind: DeviceKind, metrics: str, events: str, heartbeat: int,
           grace: int, adapter: str = "native", max_age_hours: int = 24) -> DeviceModel:
    return DeviceModel(id, name, kind, frozenset(metrics.split()), frozenset(events.split()),
                       heartbeat, grace, adapter, max_age_hours)


W, H, S = DeviceKind.WEARABLE, DeviceKind.HOME_UNIT, DeviceKind.SENSOR
DEVICE_MODELS: dict[str, DeviceModel] = {m.id: m for m in (
    _model("anxin-watch", "Anxin health watch", W,
           "heart_rate spo2 temperature steps battery latitude longitude",
           "sos fall geofence_exit low_battery", 60, 120, max_age_hours=7 * 24),
    # 3G/4G senior watches on the Chinese "3G watch" TCP protocol, via devices/watch/.
    _model("3g-watch", "Senior watch on the 3G watch TCP protocol", W,
           "heart_rate temperature steps battery latitude longitude blood_pressure "
           "blood_pressure_diastolic", "sos fall geofence_exit low_battery wristband_removed",
           300, 600, max_age_hours=7 * 24),
    _model("anxin-pendant", "Anxin SOS pendant", W, "battery", "sos fall low_battery", 300, 300,
           max_age_hours=7 * 24),
    _model("tb-wristband", "Assisted-living wristband (ThingsBoard keys)", W,
           "heart_rate temperature battery noise", "sos", 60, 120,
           adapter="thingsboard_wristband"),
    _model("anxin-home-hub", "Home unit with SOS button and speaker", H,
           "temperature humidity battery", "sos power_loss", 60, 120, max_age_hours=7 * 24),
    _model("door-sensor", "Door contact sensor", S, "battery", "door_open door_close", 900, 900),
    _model("motion-sensor", "PIR motion sensor", S, "battery", "motion", 900, 900),
    _model("bed-sensor", "Bed occupancy pad", S, "battery", "bed_enter bed_exit", 900, 900),
    _model("smoke-detector", "Smoke detector", S, "battery", "smoke", 1800, 1800),
    _model("co-detector", "Carbon monoxide detector", S, "battery co_ppm", "co", 1800, 1800),
    _model("gas-detector", "Natural gas detector", S, "battery", "gas", 1800, 1800),
    _model("water-leak-sensor", "Water leak sensor", S, "battery", "water_leak", 1800, 1800),
)}
