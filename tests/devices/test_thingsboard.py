"""ThingsBoard payloads as ThingsBoard devices send them, and ThingsBoard's own topic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from accounts.roles import Role
from devices.adapters import read_wristband
from devices.catalogue import DEVICE_MODELS
from devices.exceptions import PayloadError
from devices.models import DeadLetter
from devices.mosquitto import MosquittoProcess
from devices.topics import Channel
from runtime.context import Runtime
from tests.devices.conftest import device_client, provision, wait_for
from tests.devices.watch.conftest import login

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MS = int(AT.timestamp() * 1000)
MODEL = DEVICE_MODELS["tb-wristband"]


def read(payload: object) -> list[tuple[str, float, datetime]]:
    inbound = read_wristband("band-1", Channel.TELEMETRY, json.dumps(payload).encode(), MODEL,
                             AT)
    return [(r.metric, r.value, r.measured_at) for r in inbound.readings]


def test_flat_ts_values_and_arrays_are_all_read() -> None:
    """Flat keys, ``{"ts", "values"}`` and an array of both give the same readings."""
    flat = read({"pulse": 70, "ts": MS})
    assert flat == [("heart_rate", 70, AT)]
    assert read({"ts": MS, "values": {"pulse": 70}}) == flat
    earlier = AT - timedelta(minutes=1)
    assert read([{"ts": MS - 60_000, "values": {"pulse": 68}}, {"pulse": 70, "ts": MS}]) == [
        ("heart_rate", 68, earlier), ("heart_rate", 70, AT)]


def test_panic_in_a_values_sample_is_an_sos_named_by_its_time() -> None:
    """``panicButton`` inside ``values`` is an SOS whose id comes from the sample's ts."""
    inbound = read_wristband("band-1", Channel.TELEMETRY, json.dumps(
        [{"ts": MS // 1000, "values": {"panicButton": True}}]).encode(), MODEL, AT)
    assert [(e.type, e.event_id) for e in inbound.events] == [("sos", f"panic-{MS}")]


@pytest.mark.parametrize(("payload", "reason"), [
    ([], "holds 0 samples"),
    ([1], "is not a JSON object"),
    ({"ts": MS, "values": [1]}, "use {\"ts\""),
    ({"ts": MS, "values": {"pulse": "high"}}, "pulse"),
])
def test_malformed_thingsboard_forms_are_refused_by_name(payload: object, reason: str) -> None:
    """An empty array, a non-object sample, bad ``values`` or a bad key say what is wrong."""
    with pytest.raises(PayloadError, match=reason.replace("{", r"\{")):
        read(payload)


async def test_thingsboard_topic_becomes_a_dead_letter_not_silence(
        mqtt_app: FastAPI, broker: MosquittoProcess) -> None:
    """A wristband publishing on v1/devices/me/telemetry with its credentials leaves a dead
    letter that says where to publish instead."""
    runtime: Runtime = mqtt_app.state.runtime
    transport = httpx.ASGITransport(app=mqtt_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
        headers = await login(http, runtime, Role.SUPERVISOR)
        username, password = await provision(http, headers, runtime, broker,
                                             model="tb-wristband", id="band-tb")
    async with device_client(broker, username, password) as device:
        await device.publish("v1/devices/me/telemetry", b'{"pulse": 70}', qos=1)

    async def dead_lettered() -> bool:
        async with runtime.sessions() as session:
            return bool((await session.execute(select(DeadLetter.reason))).scalars().all())

    await wait_for(dead_lettered)
    async with runtime.sessions() as session:
        letter = (await session.execute(select(DeadLetter))).scalar_one()
    assert letter.topic == "v1/devices/me/telemetry" and letter.payload == b'{"pulse": 70}'
    assert "publish the same payload to anxin/v1/devices/<device id>/telemetry" in letter.reason
