"""A real browser (Debian's chromium driven by Playwright) logs in and sees the seniors."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

async def test_operator_logs_in_and_sees_the_seniors(demo_server: LiveServer,
                                                     browser: Browser) -> None:
    """operator1 logs in with the demo password, sees the live badge and the seniors list."""
    password = (demo_server.runtime.settings.data_dir / "demo-password").read_text().strip()
    page = await browser.new_page()
    await page.goto(f"{demo_server.url}/app")
    assert page.url.endswith("/login")
    await page.fill("#username", "operator1")
    await page.fill("#password", "wrong password")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#login-error:not([hidden])")
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/app")
    await page.wait_for_selector("#live-status[data-state=open]")
    # The badge turns "open" when the socket opens; the snapshot that fills the count follows.
    await page.wait_for_function(
        "() => document.querySelector('#kpi-seniors').textContent === '50'")
    await page.click("#nav a[data-page=seniors]")
    await page.wait_for_selector("#seniors-rows tr")
    assert await page.locator("#seniors-rows tr").count() == 25  # the first page
    await page.fill("#search-name", "秀英")
    await page.click("form.search button[type=submit]")
    await page.wait_for_function(
        "() => [...document.querySelectorAll('#seniors-rows tr')]"
        ".every(r => r.textContent.includes('秀英'))"
    )
    await page.locator("#seniors-rows tr").first.click()
    await page.wait_for_selector("#senior-detail:not([hidden]) h2")
    assert "紧急联系人" in await page.locator("#senior-detail").inner_text()
    assert await page.locator("#nav a[data-page=staff]").count() == 0
    await page.click("#lang-switch")
    await page.wait_for_selector("#nav a[data-page=seniors]:text('Seniors')")
