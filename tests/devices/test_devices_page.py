"""The devices page in a real browser: online/offline and battery, and the dead letters."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser

from config.settings import Settings
from dashboard.app import create_app
from devices import service
from devices.models import DeadLetter, Device
from tests.conftest import LiveServer, serve

pytestmark = pytest.mark.browser


@pytest.fixture
async def demo_server(settings: Settings) -> AsyncIterator[LiveServer]:
    async for server in serve(create_app(settings.model_copy(update={"demo": True}))):
        yield server


async def test_supervisor_sees_devices_and_dead_letters(demo_server: LiveServer,
                                                        browser: Browser) -> None:
    """A watch seen just now shows online with its battery; a dead letter shows its reason."""
    runtime = demo_server.runtime
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        for device_id in ("watch-page", "watch-idle"):
            await service.provision_device(session, model_id="anxin-watch", senior_id=None,
                                           location="卧室", device_id=device_id, now=now)
        watch = await session.get(Device, "watch-page")
        assert watch is not None
        watch.last_seen, watch.battery = now, 77.0
        session.add(DeadLetter(received_at=now, topic="anxin/v1/devices/watch-idle/event",
                               reason="EventPayload: ts: Field required", payload=b"{}",
                               payload_size=2))
        await session.commit()
    password = (runtime.settings.data_dir / "demo-password").read_text().strip()
    page = await browser.new_page()
    await page.goto(f"{demo_server.url}/login")
    await page.fill("#username", "supervisor1")
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/app")
    await page.click("#nav a[data-page=devices]")
    await page.wait_for_selector("#devices-rows tr[data-device=watch-page]")
    watch_row = await page.locator("tr[data-device=watch-page]").inner_text()
    assert "在线" in watch_row and "77%" in watch_row
    assert await page.locator("tr[data-device=watch-idle]").get_attribute("data-online") == "false"
    assert "Field required" in await page.locator("#dead-letter-rows").inner_text()


async def test_supervisor_edits_and_retires_a_device_on_the_page(demo_server: LiveServer,
                                                                 browser: Browser) -> None:
    """The edit form saves a new location and SIM number, shows a refusal in the server's
    words, and retires the device."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        await service.provision_device(session, model_id="anxin-home-hub", senior_id=None,
                                       location="卧室", device_id="hub-edit",
                                       now=runtime.clock.now())
        await session.commit()
    password = (runtime.settings.data_dir / "demo-password").read_text().strip()
    page = await browser.new_page()
    await page.goto(f"{demo_server.url}/login")
    await page.fill("#username", "supervisor1")
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/app")
    await page.click("#nav a[data-page=devices]")
    await page.click("tr[data-device=hub-edit] button.edit-device")
    form = page.locator("form.device-edit[data-device=hub-edit]")
    await form.locator("input[name=phone]").fill("12345")
    await form.locator("button[type=submit]").click()
    # The refusal in the page's language (zh-CN), naming the field by its label.
    await form.locator(".error").filter(has_text="电话：填写的值不符合要求").wait_for()
    await form.locator("input[name=phone]").fill("138 0471 7777")
    await form.locator("input[name=location]").fill("客厅")
    await form.locator("button[type=submit]").click()
    await page.locator("tr[data-device=hub-edit]").filter(has_text="客厅").wait_for()
    async with runtime.sessions() as session:
        device = await session.get(Device, "hub-edit")
        assert device is not None and device.phone == "+8613804717777"
    await page.click("tr[data-device=hub-edit] button.edit-device")
    await page.click("form.device-edit[data-device=hub-edit] button.state-device")
    await page.locator("tr[data-device=hub-edit][data-state=retired]").wait_for()
