"""Two operators watch the same alarm queue in real browsers; one acknowledges, both see it."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from alarms import flows
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


async def test_ack_by_one_operator_moves_for_the_other(demo_server: LiveServer,
                                                       browser: Browser) -> None:
    """An SOS shows in both queues with its senior; operator1 acknowledges; operator2 sees it
    owned by operator1's name, live, and a page opened afterwards sees the name too."""
    pages = []
    for username in ("operator1", "operator2"):
        context = await browser.new_context()
        page = await context.new_page()
        await log_in(page, demo_server, username)
        await page.click("#nav a[data-page=alarms]")
        await page.wait_for_selector("#alarms-empty:not([hidden])")
        pages.append(page)
    first, second = pages
    runtime = demo_server.runtime
    await flows.raise_and_announce(runtime, senior_id=3, kind="sos", at=runtime.clock.now(),
                                   details={"button": "red"})
    await flows.raise_and_announce(runtime, senior_id=4, kind="low_battery",
                                   at=runtime.clock.now())
    for page in pages:
        await page.wait_for_selector("#alarm-rows tr[data-priority='1'][data-state=raised]")
        await page.wait_for_selector("#alarm-rows tr[data-priority='4']")  # the next event
        priorities = await page.locator("#alarm-rows tr").evaluate_all(
            "rows => rows.map(r => r.dataset.priority)")
        assert priorities == ["1", "4"]
        assert await page.get_attribute("body", "data-alerting") == "on"
    await first.click("#alarm-rows tr[data-priority='1'] button.ack")
    await second.wait_for_selector("#alarm-rows tr[data-priority='1'][data-state=acknowledged]",
                                   timeout=3000)
    owner = await second.locator("#alarm-rows tr[data-priority='1']").inner_text()
    assert "值班员 李娜" in owner and "operator1" not in owner
    assert await second.get_attribute("body", "data-alerting") == "off"
    late = await (await browser.new_context()).new_page()
    await log_in(late, demo_server, "supervisor1")
    await late.click("#nav a[data-page=alarms]")
    snapshot_row = late.locator("#alarm-rows tr[data-priority='1'][data-state=acknowledged]")
    assert "值班员 李娜" in await snapshot_row.inner_text()
    await first.wait_for_selector("#alarm-detail:not([hidden]) #resolve")
    await first.select_option("#disposition", "false_alarm")
    await first.click("#resolve")
    await second.wait_for_function(
        "() => document.querySelectorAll('#alarm-rows tr[data-priority=\"1\"]').length === 0")
