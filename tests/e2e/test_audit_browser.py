"""The audit page in a real browser: filters, words instead of codes, named seniors, CSV."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from accounts import service as accounts_service
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("language", "action", "subject"), [
    ("zh-CN", "发送认证链接", "老人 · "), ("en", "Sent a capture link", "Senior · ")])
async def test_the_audit_log_filters_by_action_and_names_the_senior(
        demo_server: LiveServer, browser: Browser, language: str, action: str,
        subject: str) -> None:
    """Filtering on proof of life shows the link sent for senior 1 by name, with its CSV link."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        await accounts_service.record_audit(
            session, actor="subsidy1", action="liveness.link", subject_type="senior",
            subject_id="1", now=runtime.clock.now(), detail={"channel": "home"})
        await session.commit()
    page = await page_in(browser, language)
    await log_in(page, demo_server, "supervisor1")
    await page.goto(f"{demo_server.url}/app#/audit")
    await page.wait_for_selector("#audit-rows tr")
    await page.select_option("#audit-action", "liveness")
    await page.wait_for_function(
        "() => [...document.querySelectorAll('#audit-rows tr')].every("
        "(row) => row.dataset.action.startsWith('liveness.'))")
    row = page.locator("#audit-rows tr[data-action='liveness.link']").first
    text = await row.inner_text()
    assert action in text and subject in text and "senior 1" not in text
    assert "liveness.link" not in text
    assert "action=liveness" in (await page.locator("#audit-csv").get_attribute("href") or "")
    assert await page.locator("h1").count() == 1
    for control in ("audit-actor", "audit-action", "audit-senior", "audit-since", "audit-until"):
        assert await page.locator(f"label:has(#{control})").count() == 1
