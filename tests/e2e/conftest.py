"""Browser fixtures: Debian's chromium through Playwright, and a demo-mode server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page

from config.settings import Settings
from dashboard.app import create_app
from tests.conftest import LiveServer, serve


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
