"""A real browser (Debian's chromium driven by Playwright) logs in and sees the seniors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from config.settings import Settings
from dashboard.app import create_app
from tests.conftest import LiveServer, serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.browser


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():  # noqa: ASYNC240 (one stat before the browser starts)
        pytest.fail("Debian's chromium is missing: run scripts/setup --system as root")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def demo_server(settings: Settings) -> AsyncIterator[LiveServer]:
    demo = settings.model_copy(update={"demo": True})
    async for server in serve(create_app(demo)):
        yield server


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
    assert await page.locator("#kpi-seniors").inner_text() == "50"
    await page.click("#nav a[data-page=seniors]")
    await page.wait_for_selector("#seniors-rows tr")
    assert await page.locator("#seniors-rows tr").count() == 50
    await page.fill("#search-name", "秀英")
    await page.click("form.search button[type=submit]")
    await page.wait_for_function(
        "[...document.querySelectorAll('#seniors-rows tr')]"
        ".every(r => r.textContent.includes('秀英'))"
    )
    await page.locator("#seniors-rows tr").first.click()
    await page.wait_for_selector("#senior-detail:not([hidden]) h3")
    assert "紧急联系人" in await page.locator("#senior-detail").inner_text()
    assert await page.locator("#nav a[data-page=staff]").count() == 0
    await page.click("#lang-switch")
    await page.wait_for_selector("#nav a[data-page=seniors]:text('Seniors')")
