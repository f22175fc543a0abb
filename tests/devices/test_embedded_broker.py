"""Smoke test of the embedded amqtt broker the app starts when no ANXIN_MQTT_URL is set."""

from __future__ import annotations

import json

import aiomqtt
import httpx
import pytest

from config.settings import Settings
from dashboard.app import create_app
from devices.mosquitto import free_port
from runtime.clock import ManualClock
from tests.conftest import TEST_PASSWORD


async def test_embedded_broker_admits_new_devices_and_refuses_wrong_passwords(
        settings: Settings, clock: ManualClock) -> None:
    """A device provisioned while the app runs connects, its SOS is stored and acknowledged."""
    from accounts import service as accounts_service
    from accounts.roles import Role

    port = free_port()
    application = create_app(settings.model_copy(update={"mqtt_enabled": True,
                                                         "mqtt_port": port}), clock=clock)
    async with application.router.lifespan_context(application):
        runtime = application.state.runtime
        async with runtime.sessions() as session:
            await accounts_service.create_user(session, username="sup", display_name="Sup",
                                               role=Role.SUPERVISOR, password=TEST_PASSWORD,
                                               now=clock.now())
            await session.commit()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
            token = (await http.post("/api/v1/auth/login", json={
                "username": "sup", "password": TEST_PASSWORD})).json()["access_token"]
            answer = (await http.post("/api/v1/devices", json={"model": "anxin-pendant"},
                                      headers={"Authorization": f"Bearer {token}"})).json()
        username, password = answer["mqtt_username"], answer["mqtt_password"]
        with pytest.raises(aiomqtt.MqttError):
            async with aiomqtt.Client("127.0.0.1", port, username=username, password="wrong",
                                      identifier=username):
                pass
        async with aiomqtt.Client("127.0.0.1", port, username=username, password=password,
                                  identifier=username) as device:
            await device.subscribe(answer["topics"]["ack"], qos=1)
            await device.publish(answer["topics"]["event"], qos=1, payload=json.dumps(
                {"event_id": "e1", "ts": "2026-01-05T09:00:00+00:00", "type": "sos"}))
            async for message in device.messages:
                ack = json.loads(bytes(message.payload))
                break
    assert ack == {"event_id": "e1", "result": "stored"}
