"""Vital-sign bands: defaults from the domain table, hysteresis, faults, per-senior overrides."""

import pytest

from alarms.vitals import DEFAULT_LIMITS, Band, classify, with_overrides

HR = DEFAULT_LIMITS["heart_rate"]
TEMP = DEFAULT_LIMITS["body_temperature"]
SPO2 = DEFAULT_LIMITS["spo2"]


@pytest.mark.parametrize(
    ("limits", "value", "band"),
    [
        (HR, 75, Band.NORMAL), (HR, 120, Band.WARNING), (HR, 60, Band.WARNING),
        (HR, 140, Band.CRITICAL), (HR, 50, Band.CRITICAL), (HR, 119, Band.NORMAL),
        (TEMP, 36.5, Band.NORMAL), (TEMP, 37.0, Band.WARNING), (TEMP, 38.0, Band.CRITICAL),
        (TEMP, 35.5, Band.CRITICAL), (SPO2, 95, Band.NORMAL), (SPO2, 91, Band.WARNING),
        (SPO2, 88, Band.WARNING), (SPO2, 87, Band.CRITICAL),
    ],
)
def test_default_bands_match_the_domain_table(limits: object, value: float, band: Band) -> None:
    """Each threshold in the domain table falls in the band the table gives it."""
    assert classify(value, limits, Band.NORMAL).band == band  # type: ignore[arg-type]


def test_a_value_bouncing_on_the_line_does_not_flap() -> None:
    """119/121/119/121 after a warning stays one warning; only 100 (inside 60–120) clears."""
    verdict = classify(121, HR)
    seen = [verdict.band]
    for value in (119, 121, 119, 118, 100):
        verdict = classify(value, HR, verdict.band, verdict.clear_streak)
        seen.append(verdict.band)
    assert seen == [Band.WARNING] * 5 + [Band.NORMAL]


def test_temperature_must_come_back_inside_the_clear_range() -> None:
    """After a fever of 38.2, 37.0 is still out of range; three readings of 36.x clear it."""
    verdict = classify(38.2, TEMP)
    assert verdict.band == Band.CRITICAL
    for value, band in ((37.0, Band.CRITICAL), (36.8, Band.CRITICAL), (36.7, Band.CRITICAL),
                        (36.6, Band.NORMAL)):
        verdict = classify(value, TEMP, verdict.band, verdict.clear_streak)
        assert verdict.band == band


@pytest.mark.parametrize(("limits", "value"), [(HR, 0), (HR, 400), (TEMP, 10), (SPO2, 30)])
def test_impossible_readings_are_sensor_faults(limits: object, value: float) -> None:
    """Heart rate 0 or 400, temperature 10 °C: a fault with a reason, band unchanged."""
    verdict = classify(value, limits, Band.WARNING)  # type: ignore[arg-type]
    assert verdict.is_fault
    assert "sensor fault" in (verdict.fault or "")
    assert verdict.band == Band.WARNING


def test_a_senior_with_a_resting_rate_of_48_gets_own_limits() -> None:
    """With overrides, 48 bpm is normal for this senior and 40 is critical."""
    own = with_overrides(HR, {"critical_low": 40, "warning_low": 44, "clear_low": 44})
    assert classify(48, own).band == Band.NORMAL
    assert classify(40, own).band == Band.CRITICAL
    assert classify(48, HR).band == Band.CRITICAL
    with pytest.raises(ValueError, match="plausible_low"):
        with_overrides(HR, {"plausible_low": 0})
