"""A real browser: a tester calls 12349 on the phone page and an operator answers it."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


async def log_in(context: BrowserContext, server: LiveServer, username: str) -> Page:
    password = (server.runtime.settings.data_dir / "demo-password").read_text().strip()
    page = await context.new_page()
    await page.goto(f"{server.url}/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/app")
    return page


async def test_phone_page_caller_reaches_an_operator(demo_server: LiveServer,
                                                     browser: Browser) -> None:
    """An unknown caller presses 1, waits, operator1 answers on the calls page, the phone shows
    the operator on the line."""
    context = await browser.new_context()
    phone = await log_in(context, demo_server, "operator1")
    await phone.goto(f"{demo_server.url}/app#/phone")
    await phone.wait_for_selector("#phone-call")
    await phone.click("#phone-call")
    await phone.wait_for_selector("#phone-screen li:has-text('紧急求助，请按1')")
    await phone.click("#phone-key-1")
    await phone.wait_for_selector("#phone-status[data-state=waiting]")

    desk = await context.new_page()
    await desk.goto(f"{demo_server.url}/app#/calls")
    await desk.wait_for_selector("#calls-rows tr[data-id] button.answer")
    assert "key:1" in await desk.locator("#calls-rows tr[data-id]").first.inner_text()
    await desk.click("#calls-rows tr[data-id] button.answer")
    await desk.wait_for_selector("#calls-current:not([hidden]) #calls-senior")

    await phone.wait_for_selector("#phone-status[data-state=connected]")
    assert "operator1" in await phone.locator("#phone-status").inner_text()
    await desk.click("#calls-hangup")
    await phone.wait_for_selector("#phone-status[data-state=ended]")
    await context.close()
