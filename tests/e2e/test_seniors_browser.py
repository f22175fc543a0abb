"""The seniors page in a real browser: search as you type, server-side paging, words."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("language", "first_page", "second_page", "subsidy"), [
    ("zh-CN", "共 50 位老人，第 1–25 位", "共 50 位老人，第 26–50 位", "高龄津贴"),
    ("en", "50 seniors, showing 1–25", "50 seniors, showing 26–50", "Old-age allowance")])
async def test_seniors_page_by_page_and_as_you_type(
        demo_server: LiveServer, browser: Browser, language: str, first_page: str,
        second_page: str, subsidy: str) -> None:
    """25 a page with Next and back with Previous (paged by key); typing a name filters; the
    record is in words."""
    page = await page_in(browser, language)
    await log_in(page, demo_server, "operator1")
    await page.goto(f"{demo_server.url}/app#/seniors")
    await page.wait_for_selector("#seniors-rows tr")
    assert await page.locator("#seniors-total").inner_text() == first_page
    assert await page.locator("#seniors-previous").is_disabled()
    first = await page.locator("#seniors-rows tr").first.get_attribute("data-id")
    await page.click("#seniors-next")
    await page.wait_for_function(
        f"() => document.getElementById('seniors-total').textContent === '{second_page}'")
    assert await page.locator("#seniors-rows tr").count() == 25
    assert await page.locator("#seniors-next").is_disabled()
    assert first not in [await row.get_attribute("data-id")
                         for row in await page.locator("#seniors-rows tr").all()]
    await page.click("#seniors-previous")
    await page.wait_for_function(
        f"() => document.getElementById('seniors-total').textContent === '{first_page}'")
    assert await page.locator("#seniors-rows tr").first.get_attribute("data-id") == first
    await page.locator("#search-name").press_sequentially("秀英")
    await page.wait_for_function(
        "() => { const rows = [...document.querySelectorAll('#seniors-rows tr')];"
        " return rows.length > 0 && rows.every((r) => r.textContent.includes('秀英')); }")
    await page.locator("#seniors-rows tr").first.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#senior-detail:not([hidden]) #senior-subsidies")
    record = await page.locator("#senior-detail").inner_text()
    assert subsidy in await page.locator("#senior-subsidies").inner_text()
    for code in ("old_age_allowance", "data_processing", "signed_form", "zh-CN"):
        assert code not in record
    assert await page.locator("h1").count() == 1
    for control in ("search-name", "search-phone", "search-district"):
        assert await page.locator(f"label:has(#{control})").count() == 1
