"""The health page in a real browser: each vital a uPlot chart fitted to its readings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import Browser

from devices import service as devices_service
from devices.models import DeviceReading
from runtime.context import Runtime
from tests.alarms.test_health_view import add_watch_readings
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in


async def minutes_of_readings(runtime: Runtime, senior_id: int) -> None:
    """Ten heart-rate readings a minute apart, the last one 92."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        await devices_service.provision_device(session, model_id="anxin-watch",
                                               senior_id=senior_id, location="", now=now,
                                               device_id=f"watch-{senior_id}")
        for minute in range(10):
            at = now - timedelta(minutes=minute)
            session.add(DeviceReading(device_id=f"watch-{senior_id}", senior_id=senior_id,
                                      metric="heart_rate", value=92 - minute, measured_at=at,
                                      received_at=at))
        await session.commit()


@pytest.mark.browser
async def test_operator_sees_the_heart_rate_chart(demo_server: LiveServer,
                                                  browser: Browser) -> None:
    """The heart-rate chart draws its line and its four warning and critical limits."""
    await add_watch_readings(demo_server.runtime, 5)
    page = await browser.new_page(viewport={"width": 1440, "height": 900})
    await log_in(page, demo_server, "operator1")
    await page.goto(f"{demo_server.url}/app#/health/5")
    chart = page.locator("figure[data-metric=heart_rate]")
    await chart.locator("canvas").wait_for()
    assert await chart.get_attribute("data-limits") == "4"
    assert await chart.get_attribute("data-series") == "5"
    assert await page.locator("h1").count() == 1


@pytest.mark.browser
@pytest.mark.parametrize(("language", "latest"), [("zh-CN", "最新 92"), ("en", "Latest 92")])
async def test_minutes_of_readings_fill_the_chart_with_the_latest_value(
        demo_server: LiveServer, browser: Browser, language: str, latest: str) -> None:
    """Ten minutes of readings in the day view: the time axis spans them, not the day."""
    await minutes_of_readings(demo_server.runtime, 6)
    page = await page_in(browser, language)
    await log_in(page, demo_server, "operator1")
    await page.goto(f"{demo_server.url}/app#/health/6")
    chart = page.locator("figure[data-metric=heart_rate][data-drawn=true]")
    await chart.wait_for()
    span = float(await chart.get_attribute("data-x-max") or 0) - float(
        await chart.get_attribute("data-x-min") or 0)
    assert 9 * 60 <= span <= 11 * 60
    assert (await page.locator("p.latest[data-metric=heart_rate]").inner_text()).startswith(
        latest)
    axis = await chart.locator(".u-legend").inner_text()
    assert ("心率" if language == "zh-CN" else "Heart rate") in axis
