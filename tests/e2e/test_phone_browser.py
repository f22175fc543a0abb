"""A real browser: a tester calls 12349 on the phone page and an operator answers it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from callcenter import ivr
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from tests.callcenter.test_simulated_calls import FIRST_SILENCE, SECOND_SILENCE
from tests.conftest import LiveServer, serve

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
    # The menu path in words, not the code `key:1`.
    assert "按键 1" in await desk.locator("#calls-rows tr[data-id]").first.inner_text()
    await desk.click("#calls-rows tr[data-id] button.answer")
    await desk.wait_for_selector("#calls-current:not([hidden]) #calls-senior")

    await phone.wait_for_selector("#phone-status[data-state=connected]")
    assert "operator1" in await phone.locator("#phone-status").inner_text()
    await desk.click("#calls-hangup")
    await phone.wait_for_selector("#phone-status[data-state=ended]")
    await context.close()


@pytest.fixture
async def demo_on_manual_clock(settings: Settings, clock: ManualClock
                               ) -> AsyncIterator[LiveServer]:
    """The demo server on the test's ManualClock: the test decides when prompts time out."""
    demo = settings.model_copy(update={"demo": True})
    async for server in serve(create_app(demo, clock=clock)):
        yield server


async def test_phone_page_moves_on_by_itself_when_nobody_presses(
        demo_on_manual_clock: LiveServer, browser: Browser, clock: ManualClock) -> None:
    """Like a real phone: a stranger who presses nothing hears the short repeat once the
    menu's timeout has passed, then waits for an operator; a senior's own number is greeted
    and waits for an operator at once."""
    server = demo_on_manual_clock
    context = await browser.new_context()
    phone = await log_in(context, server, "operator1")
    await phone.goto(f"{server.url}/app#/phone")
    await phone.wait_for_selector("#phone-call")
    await phone.click("#phone-call")
    await phone.wait_for_selector("#phone-screen li:has-text('紧急求助，请按1')")
    assert f"{ivr.GATHER_TIMEOUTS['menu']} 秒" in await phone.locator("#phone-timeout").inner_text()
    clock.advance(FIRST_SILENCE + 0.5)
    await phone.wait_for_selector("#phone-screen li:has-text('稍候转人工')")
    clock.advance(SECOND_SILENCE + 0.5)
    await phone.wait_for_selector("#phone-status[data-state=waiting]")
    await phone.click("#phone-hangup")
    await phone.wait_for_selector("#phone-status[data-state=ended]")

    await phone.select_option("#phone-from", index=1)  # the first senior's own number
    await phone.click("#phone-call")
    await phone.wait_for_selector("#phone-status[data-state=waiting]")
    assert "这里是12349" in await phone.locator("#phone-screen").inner_text()
    assert await phone.locator("#phone-screen li.gather").count() == 0
    await context.close()
