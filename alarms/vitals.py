"""Vital-sign thresholds as data, with hysteresis, sensor-fault limits and per-senior overrides.

Defaults come from the assisted-living template quoted in the domain notes (heart rate, body
temperature) and the centre's own judgement (SpO2, blood pressure). A reading is first checked
for plausibility: values no body produces are a sensor fault, never a critical vital sign.
Once a metric is out of range it stays there until ``CLEAR_AFTER`` readings in a row are back
inside the *clear* range, so a value bouncing on a threshold (121, 119, 121 …) keeps one alarm
open instead of raising and clearing it over and over.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

CLEAR_AFTER = 3


class Band(IntEnum):
    """Ordered so that a larger band is worse."""

    NORMAL = 0
    WARNING = 1
    CRITICAL = 2


@dataclass(frozen=True)
class Limits:
    """Thresholds of one metric; ``None`` means no limit on that side."""

    metric: str
    unit: str
    plausible_low: float
    plausible_high: float
    critical_low: float | None
    critical_high: float | None
    warning_low: float | None
    warning_high: float | None
    clear_low: float | None
    clear_high: float | None


@dataclass(frozen=True)
class Verdict:
    band: Band
    clear_streak: int = 0  # readings in a row inside the clear range while out of range
    fault: str | None = None  # why the reading is implausible, if it is

    @property
    def is_fault(self) -> bool:
        return self.fault is not None


DEFAULT_LIMITS: dict[str, Limits] = {
    limits.metric: limits
    for limits in (
        # ≥ 140 or ≤ 50 critical, ≥ 120 or ≤ 60 warning, clears when 60 < HR < 120.
        Limits("heart_rate", "bpm", 20, 250, 50, 140, 60, 120, 60, 120),
        # ≥ 38.0 or ≤ 35.5 critical, ≥ 37.0 or ≤ 36.0 warning, clears when 36.0 < T < 37.0.
        Limits("body_temperature", "°C", 30, 43, 35.5, 38.0, 36.0, 37.0, 36.0, 37.0),
        # < 88 critical, < 92 warning, clears at ≥ 94 (judgement; see domain notes).
        Limits("spo2", "%", 50, 100, 88, None, 92, None, 93.99, None),
        # Systolic blood pressure, mmHg (judgement): ≥ 180 or ≤ 80 critical, ≥ 160 or ≤ 90 warning.
        Limits("blood_pressure", "mmHg", 50, 280, 80, 180, 90, 160, 90, 160),
    )
}


def _at_or_beyond(value: float, low: float | None, high: float | None,
                  *, inclusive: bool) -> bool:
    if inclusive:
        return (low is not None and value <= low) or (high is not None and value >= high)
    return (low is not None and value < low) or (high is not None and value > high)


def _raw_band(value: float, limits: Limits) -> Band:
    # SpO2's limits are "below", not "at or below": 88 is a warning, 87 is critical.
    inclusive = limits.metric != "spo2"
    if _at_or_beyond(value, limits.critical_low, limits.critical_high, inclusive=inclusive):
        return Band.CRITICAL
    if _at_or_beyond(value, limits.warning_low, limits.warning_high, inclusive=inclusive):
        return Band.WARNING
    return Band.NORMAL


def _inside_clear_range(value: float, limits: Limits) -> bool:
    low_ok = limits.clear_low is None or value > limits.clear_low
    high_ok = limits.clear_high is None or value < limits.clear_high
    return low_ok and high_ok


def classify(value: float, limits: Limits, previous: Band = Band.NORMAL,
             clear_streak: int = 0) -> Verdict:
    """The band of a reading given the metric's band and clear streak before it (hysteresis)."""
    if not limits.plausible_low <= value <= limits.plausible_high:
        return Verdict(previous, clear_streak, fault=(
            f"{limits.metric} {value:g} {limits.unit} is outside what a body can show "
            f"({limits.plausible_low:g}–{limits.plausible_high:g}); sensor fault"
        ))
    band = _raw_band(value, limits)
    if previous == Band.NORMAL or band >= previous:
        return Verdict(band)
    if not _inside_clear_range(value, limits):
        return Verdict(previous)
    streak = clear_streak + 1
    return Verdict(Band.NORMAL) if streak >= CLEAR_AFTER else Verdict(previous, streak)


def with_overrides(limits: Limits, overrides: dict[str, float | None]) -> Limits:
    """The senior's own limits: only the fields given replace the defaults."""
    if not overrides:
        return limits  # most seniors: no copy for every reading
    allowed = {"critical_low", "critical_high", "warning_low", "warning_high", "clear_low",
               "clear_high"}
    unknown = set(overrides) - allowed
    if unknown:
        raise ValueError(f"unknown threshold fields: {', '.join(sorted(unknown))}")
    return replace(limits, **overrides)  # type: ignore[arg-type]
