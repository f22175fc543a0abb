"""Browser fixtures: Debian's chromium through Playwright, and a demo-mode server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from config.settings import Settings
from dashboard.app import create_app
from tests.conftest import LiveServer, serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


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




async def log_in(page: Page, server: LiveServer, username: str) -> None:
    """Log in through the form with the demo password and wait for the live feed."""
    password = (server.runtime.settings.data_dir / "demo-password").read_text().strip()
    await page.goto(f"{server.url}/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/app")
    await page.wait_for_selector("#live-status[data-state=open]")
