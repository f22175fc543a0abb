"""At a phone's 390 px the pages fit the screen's width: wide tables scroll inside
themselves, so the page never needs scrolling sideways."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, ViewportSize

from alarms import flows as alarm_flows
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.mark.parametrize(("user", "route", "ready", "scrolls"), [
    ("operator1", "alarms", "#alarm-rows tr", True),
    ("operator1", "seniors", "#seniors-rows tr", True),
    ("supervisor1", "audit", "#audit-rows tr", False),
])
async def test_a_table_page_fits_a_phone_screen(demo_server: LiveServer, browser: Browser,
                                                user: str, route: str, ready: str,
                                                scrolls: bool) -> None:
    """The page is no wider than the screen; a table whose rows the keyboard reaches scrolls
    sideways to its last column, one with nothing to focus wraps its words instead."""
    runtime = demo_server.runtime
    await alarm_flows.raise_and_announce(runtime, senior_id=1, kind="sos",
                                         at=runtime.clock.now())
    page = await page_in(browser, "zh-CN", PHONE)
    await log_in(page, demo_server, user)
    await page.goto(f"{demo_server.url}/app#/{route}")
    await page.locator(ready).first.wait_for()
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{route} is {width} px wide"
    table = page.locator("main table").first
    assert await table.evaluate("(t) => t.scrollWidth > t.clientWidth") is scrolls
