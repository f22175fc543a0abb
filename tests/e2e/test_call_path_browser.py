"""A call's path in a real browser names who answered: the calls page, the incident page and
the supervisor's monitor show the person's display name, never their account."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from accounts import service as accounts_service
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.walk import (
    answer_waiting_call,
    open_incident,
    place_calls,
    show_route,
    watch_live_call,
)

pytestmark = pytest.mark.browser


async def test_each_page_names_who_answered_in_the_call_path(
        demo_server: LiveServer, browser: Browser) -> None:
    """Senior 1's call and a stranger's are answered by supervisor1: the calls page's current
    call, the incident's timeline and the monitor read "<display name> 接听" in the path."""
    async with demo_server.runtime.sessions() as session:
        names = await accounts_service.display_names(session, ["supervisor1"])
    answered = f"{names['supervisor1']} 接听"
    page = await browser.new_page()
    await page.add_init_script("localStorage.setItem('anxin.lang', 'zh-CN')")
    await log_in(page, demo_server, "supervisor1")
    incident = await open_incident(page, demo_server)
    await place_calls(page, demo_server)
    await show_route(page, "calls")
    await answer_waiting_call(page)
    calls_path = await page.inner_text("#calls-current-path")
    await show_route(page, f"incident/{incident}")
    started_items = page.locator("#page li[data-what='call.started']")
    await started_items.first.wait_for()  # the timeline is drawn after the incident's calls
    started = " ".join(await started_items.all_inner_texts())
    await show_route(page, "supervisor")
    await watch_live_call(page)
    monitor_path = await page.inner_text("#sup-monitor-path")
    assert "按键 2" in calls_path and answered in calls_path
    assert answered in started
    assert answered in monitor_path
    assert "supervisor1" not in calls_path + started + monitor_path
