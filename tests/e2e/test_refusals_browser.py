"""A refused form on a page says, in the page's language, which field and what is wrong."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("language", "expected"), [
    ("zh-CN", "标题：至少 2 个字符"), ("en", "Title: needs at least 2 characters")])
async def test_a_refused_article_names_the_field_in_the_page_language(
        demo_server: LiveServer, browser: Browser, language: str, expected: str) -> None:
    """A one-letter title: the page shows the field's label and the rule, not `body.title: …`."""
    page = await browser.new_page()
    await page.add_init_script(f"localStorage.setItem('anxin.lang', '{language}')")
    await log_in(page, demo_server, "supervisor1")
    await page.evaluate("() => { location.hash = '#/knowledge'; }")
    await page.click("#kb-new")
    await page.fill("#kb-title", "x")
    await page.fill("#kb-body", "正文内容")
    await page.click("#kb-save")
    error = page.locator("#kb-error:not([hidden])")
    await error.wait_for()
    assert await error.inner_text() == expected
    await page.close()
