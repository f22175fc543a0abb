"""The documented MQTT contract and the payload adapters agree."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

from devices.adapters import (
    ADAPTERS,
    EventPayload,
    StatusPayload,
    TelemetryPayload,
    WristbandPayload,
)
from devices.catalogue import DEVICE_MODELS
from devices.exceptions import PayloadError
from devices.topics import Channel, parse_topic

DOC = Path(__file__).parents[2] / "docs" / "mqtt.md"
AT = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("schema", [TelemetryPayload, EventPayload, StatusPayload,
                                    WristbandPayload])
def test_docs_show_the_schema_the_code_enforces(schema: type[BaseModel]) -> None:
    """docs/mqtt.md holds each payload's JSON Schema exactly as the code generates it."""
    text = json.dumps(schema.model_json_schema(), indent=2, ensure_ascii=False)
    assert text in DOC.read_text()


def test_every_catalogue_model_names_a_known_adapter() -> None:
    """Each device model's adapter exists."""
    assert {model.adapter for model in DEVICE_MODELS.values()} <= set(ADAPTERS)


def test_wristband_panic_press_is_one_sos_with_a_stable_id() -> None:
    """The same wristband payload twice gives the same SOS event id, so it is stored once."""
    payload = b'{"pulse": 90, "panicButton": true}'
    model = DEVICE_MODELS["tb-wristband"]
    first = ADAPTERS["thingsboard_wristband"]("band-9", Channel.TELEMETRY, payload, model, AT)
    again = ADAPTERS["thingsboard_wristband"]("band-9", Channel.TELEMETRY, payload, model, AT)
    assert [e.type for e in first.events] == ["sos"]
    assert first.events[0].event_id == again.events[0].event_id
    assert [(r.metric, r.value) for r in first.readings] == [("heart_rate", 90.0)]


@pytest.mark.parametrize("topic", [
    "anxin/v1/devices/ab/event", "anxin/v1/devices/watch-1/ack",
    "other/v1/devices/watch-1/event", "anxin/v1/devices/WATCH/event"])
def test_topics_outside_the_contract_are_refused(topic: str) -> None:
    """Short or upper-case ids, the ack channel and foreign prefixes are not device topics."""
    with pytest.raises(PayloadError):
        parse_topic(topic)
