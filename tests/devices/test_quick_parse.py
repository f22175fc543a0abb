"""The ingest's quick checks for plainly good payloads agree with the full validation."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from devices.adapters import (
    EventPayload,
    TelemetryPayload,
    _quick_event,
    _quick_telemetry,
    _validate,
)
from devices.catalogue import DEVICE_MODELS
from devices.exceptions import PayloadError

WATCH = DEVICE_MODELS["anxin-watch"]
NUMBERS = st.one_of(st.integers(min_value=-2**60, max_value=2**60), st.floats(),
                    st.booleans(), st.none(), st.text(max_size=4))
TIMES = st.one_of(st.sampled_from([
    "2026-01-05T09:00:00+00:00", "2026-01-05T09:00:00Z", "2026-01-05T09:00:00.123456+08:00",
    "2026-01-05T09:00:00", "2026-13-05T09:00:00Z", "2026-01-05 09:00:00Z",
    "2026-01-05T09:00:00.1234567Z", "20260105T090000Z", "2026-01-05"]),
    st.text(max_size=30), st.integers(), st.none())
METRICS = st.sampled_from(["heart_rate", "battery", "temperature", "steps", "Bad-Name", "x" * 40])
TELEMETRY = st.fixed_dictionaries({}, optional={
    "ts": TIMES,
    "values": st.one_of(st.dictionaries(METRICS, NUMBERS, max_size=3), NUMBERS),
    "seq": NUMBERS, "sent_at": NUMBERS, "extra": NUMBERS,
})
EVENTS = st.fixed_dictionaries({}, optional={
    "event_id": st.one_of(st.text(max_size=70), st.integers(), st.just("press-1")),
    "ts": TIMES,
    "type": st.one_of(st.sampled_from(["sos", "fall", "smoke", "SOS", ""]), NUMBERS,
                      st.lists(st.text(max_size=2), max_size=2)),
    "detail": st.one_of(st.dictionaries(st.text(max_size=3), NUMBERS, max_size=3), NUMBERS),
    "sent_at": NUMBERS,
})


def full(schema: type[BaseModel], payload: bytes) -> dict[str, Any] | None:
    try:
        return _validate(schema, payload).model_dump()
    except PayloadError:
        return None


@settings(max_examples=400, deadline=None)
@given(body=TELEMETRY)
def test_quick_telemetry_accepts_only_what_validation_accepts_and_reads_it_alike(
        body: dict[str, Any]) -> None:
    """Whatever the quick telemetry check accepts, pydantic accepts with the same values."""
    payload = json.dumps(body).encode()
    quick = _quick_telemetry(payload, WATCH)
    if quick is not None:
        assert quick.model_dump() == full(TelemetryPayload, payload)


@settings(max_examples=400, deadline=None)
@given(body=EVENTS)
def test_quick_event_accepts_only_what_validation_accepts_and_reads_it_alike(
        body: dict[str, Any]) -> None:
    """Whatever the quick event check accepts, pydantic accepts with the same values."""
    payload = json.dumps(body).encode()
    quick = _quick_event(payload, WATCH)
    if quick is not None:
        assert quick.model_dump() == full(EventPayload, payload)


def test_quick_checks_take_the_usual_good_payloads() -> None:
    """The payloads devices normally send take the quick path."""
    telemetry = {"ts": "2026-01-05T09:00:00+08:00", "values": {"heart_rate": 72, "battery": 80.5},
                 "seq": 7}
    event = {"event_id": "sos-1", "ts": "2026-01-05T09:00:00Z", "type": "sos"}
    assert _quick_telemetry(json.dumps(telemetry).encode(), WATCH) is not None
    assert _quick_event(json.dumps(event).encode(), WATCH) is not None
