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


@pytest.mark.parametrize(("language", "expected"), [
    ("zh-CN", ["员工 · 值班员 李娜", "查看事件列表", "月度报表 · 2026-11", "事件处置 · 其他"]),
    ("en", ["Staff member · 值班员 李娜", "Listed incidents", "Monthly report · 2026-11",
            "Incidents · other"])])
async def test_audit_rows_name_staff_reports_and_every_action(
        demo_server: LiveServer, browser: Browser, language: str, expected: list[str]) -> None:
    """A staff subject reads as the person's name, a report as its month, an action as words;
    an action the tables do not know reads as its family, never as the code's tail."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        operator = await accounts_service.get_user_by_username(session, "operator1")
        assert operator is not None
        now = runtime.clock.now()
        for action, subject_type, subject_id in (
                ("auth.login", "staff", str(operator.id)), ("incident.list", "senior", None),
                ("report.monthly", "report", "2026-11"),
                ("incident.frobnicated", "incident", None)):
            await accounts_service.record_audit(
                session, actor="supervisor1", action=action, subject_type=subject_type,
                subject_id=subject_id, now=now, detail={})
        await session.commit()
    page = await page_in(browser, language)
    await log_in(page, demo_server, "supervisor1")
    await page.goto(f"{demo_server.url}/app#/audit")
    await page.wait_for_selector("#audit-rows tr[data-action='incident.frobnicated']")
    text = await page.locator("#audit-rows").inner_text()
    for words in expected:
        assert words in text
    for raw in ("frobnicated", "· list", "· monthly", f"no. {operator.id}", f"编号 {operator.id}"):
        assert raw not in text
