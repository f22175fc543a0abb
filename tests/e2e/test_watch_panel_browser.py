"""The incident page's watch panel in a real browser, against a watch on a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser

from alarms import flows
from config.settings import Settings
from dashboard.app import create_app
from devices import service as devices_service
from devices.lifespan import devices_of
from devices.mosquitto import MosquittoProcess
from runtime.context import Runtime
from tests.conftest import LiveServer, serve
from tests.devices.conftest import (
    broker,
    mqtt_settings,
    register_service,
    sync_broker,
    wait_for,
)
from tests.devices.watch.conftest import WATCH_ID, Watch
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser
__all__ = ["broker", "mqtt_settings"]  # the devices tests' fixtures, shared


@pytest.fixture
async def watch_server(mqtt_settings: Settings, broker: MosquittoProcess
                       ) -> AsyncIterator[LiveServer]:
    """The demo on the wall clock with the test's Mosquitto and a watch gateway."""
    settings = mqtt_settings.model_copy(update={"demo": True, "watch_port": 0,
                                                "demo_fleet_devices": 0})
    register_service(settings, broker)
    async for server in serve(create_app(settings)):
        runtime = server.runtime

        async def ready(runtime: Runtime = runtime) -> bool:
            gateway = devices_of(runtime).watches
            return bool(gateway and gateway.uplink.connected.is_set())

        await wait_for(ready)
        yield server


async def answer_commands(watch: Watch, received: list[bytes]) -> None:
    while (frame := await watch.hear(within=60)) is not None:
        received.append(frame.content)
        await watch.send(frame.type)


async def test_operator_sees_the_watch_position_and_locates_and_messages_it(
        watch_server: LiveServer, broker: MosquittoProcess, browser: Browser) -> None:
    """On the SOS's incident the operator sees the watch's last position with its distance
    from home, presses "locate now" (the watch answers) and sends a message it receives."""
    runtime = watch_server.runtime
    async with runtime.sessions() as session:
        await devices_service.provision_device(session, model_id="3g-watch", senior_id=3,
                                               location="", device_id=WATCH_ID,
                                               now=runtime.clock.now())
        await session.commit()
    await sync_broker(runtime, broker)
    gateway = devices_of(runtime).watches
    assert gateway is not None
    watch = await Watch.connect(gateway.port)
    at = runtime.clock.now()
    await watch.send(f"UD,{at:%d%m%y},{at:%H%M%S},A,39.913818,N,116.363625,E,0.00,0,50,8,80,"
                     "77,1200,0,00000000,0,0")
    received: list[bytes] = []
    answering = asyncio.create_task(answer_commands(watch, received))
    raised = await flows.raise_and_announce(runtime, senior_id=3, kind="sos", at=at)
    page = await browser.new_page()
    await log_in(page, watch_server, "operator1")
    await page.click("#nav a[data-page=alarms]")
    await page.click(f"#alarm-rows tr[data-id='{raised.alarm.id}'] button.ack")
    await page.click("#incident-link", timeout=15000)
    await page.wait_for_selector(f"#watch-panel .watch[data-device='{WATCH_ID}']")
    position = page.locator("#watch-panel .watch-position[data-latitude='39.913818']")
    await position.wait_for(timeout=15000)
    assert "39.913818, 116.363625" in await position.inner_text()
    await page.click("#watch-panel .watch-locate")
    await page.wait_for_function(
        "() => document.querySelector('#watch-panel .watch-status').textContent === '手表已应答'")
    await page.fill("#watch-panel .watch-text", "请回电")
    await page.click("#watch-panel .watch-message")
    await page.wait_for_function(
        "() => document.querySelector('#watch-panel .watch-text').value === ''")
    assert b"CR" in received and b"MESSAGE,8BF756DE7535" in received
    answering.cancel()
    await watch.close()
