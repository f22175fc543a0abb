"""In a real browser an operator searches the policy knowledge base; a supervisor edits it."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


async def test_search_then_supervisor_corrects_an_article(demo_server: LiveServer,
                                                          browser: Browser) -> None:
    """An operator finds the demo allowance article; a supervisor's edit is found by its words."""
    operator = await (await browser.new_context()).new_page()
    await log_in(operator, demo_server, "operator1")
    await operator.click("#nav a[data-page=knowledge]")
    await operator.fill("#kb-query", "高龄津贴怎么申请")
    await operator.press("#kb-query", "Enter")
    await operator.wait_for_selector("#kb-results li[data-id]")
    assert "高龄津贴" in await operator.locator("#kb-results li").first.inner_text()
    assert await operator.locator("#kb-new").count() == 0
    supervisor = await (await browser.new_context()).new_page()
    await log_in(supervisor, demo_server, "supervisor1")
    await supervisor.click("#nav a[data-page=knowledge]")
    await supervisor.click("#kb-new")
    await supervisor.fill("#kb-title", "冬季供暖补贴")
    await supervisor.fill("#kb-body", "独居老人冬季取暖补贴每年800元，十月底前到社区申请。")
    await supervisor.click("#kb-save")
    await supervisor.wait_for_selector("#kb-article h3:text('冬季供暖补贴')")
    await operator.fill("#kb-query", "取暖")
    await operator.press("#kb-query", "Enter")
    await operator.wait_for_selector("#kb-results li[data-id] strong:text('冬季供暖补贴')")
