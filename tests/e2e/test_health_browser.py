"""The health page in a real browser: the heart-rate line between its limits."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.alarms.test_health_view import add_watch_readings
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in


@pytest.mark.browser
async def test_operator_sees_the_heart_rate_chart(demo_server: LiveServer,
                                                  browser: Browser) -> None:
    """The health page draws the heart-rate line between its warning and critical limits."""
    await add_watch_readings(demo_server.runtime, 5)
    page = await browser.new_page()
    await log_in(page, demo_server, "operator1")
    await page.goto(f"{demo_server.url}/app#/health/5")
    chart = page.locator("svg.chart[data-metric=heart_rate]")
    await chart.wait_for()
    assert await chart.locator("path.series").count() == 1
    assert await chart.locator("line.limit.critical").count() == 2
    assert await chart.locator("line.limit.warning").count() == 2
