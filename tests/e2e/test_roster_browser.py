"""The proof-of-life roster in a real browser: tasks first, filters, colours, paging, and a
refusal in words when a link is sent to a senior without biometric consent."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("language", "refusal"), [
    ("zh-CN", "没有发送链接"), ("en", "No link sent")])
async def test_roster_filters_and_refuses_a_link_without_consent(
        demo_server: LiveServer, browser: Browser, language: str, refusal: str) -> None:
    """Overdue rows only, coloured; a no-consent senior's link is refused and a visit filed."""
    page = await page_in(browser, language)
    await log_in(page, demo_server, "subsidy1")
    await page.goto(f"{demo_server.url}/app#/liveness")
    await page.wait_for_selector("#liveness-rows tr")
    tasks_first = await page.evaluate(
        "() => Boolean(document.getElementById('liveness-tasks').compareDocumentPosition("
        "document.getElementById('liveness-rows')) & Node.DOCUMENT_POSITION_FOLLOWING)")
    assert tasks_first
    assert await page.locator("#liveness-rows tr").count() <= 25
    await page.click("button[data-filter=overdue]")
    await page.wait_for_selector("button[data-filter=overdue][aria-pressed=true]")
    standings = await page.locator("#liveness-rows tr").evaluate_all(
        "(rows) => rows.map((row) => row.dataset.standing)")
    assert standings and set(standings) == {"overdue"}
    colour = await page.locator("#liveness-rows tr").first.evaluate(
        "(row) => getComputedStyle(row).backgroundColor")
    assert colour == "rgb(253, 232, 232)"
    await page.click("button[data-filter=no_consent]")
    await page.wait_for_selector("button[data-filter=no_consent][aria-pressed=true]")
    row = page.locator("#liveness-rows tr").first
    name = await row.locator("td").first.inner_text()
    await row.locator("button.phone-link").click()
    await page.wait_for_selector("#liveness-refusal:not([hidden])")
    text = await page.locator("#liveness-refusal").inner_text()
    assert text.startswith(refusal) and name in text
    await page.wait_for_selector(f"#liveness-tasks li[data-kind=home_visit]:has-text('{name}')")
    assert await page.locator("h1").count() == 1
