"""Every page, in zh-CN and English, at desk and phone sizes, reads as words: no codes,
identifiers, null/undefined or JSON in any visible text."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.conftest import LiveServer
from tests.e2e.walk import raw_texts, report, walk

pytestmark = pytest.mark.browser
LANGUAGES = ["zh-CN", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_no_page_shows_a_code_or_identifier(demo_server: LiveServer, browser: Browser,
                                                   language: str) -> None:
    """The words engineer's pages (and login, provider page) show words only."""
    found = await walk(demo_server, browser, language=language, owner="words", check=raw_texts)
    if found:
        pytest.fail(report(found), pytrace=False)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_other_pages_show_no_code_or_identifier(
        demo_server: LiveServer, browser: Browser, language: str) -> None:
    """Supervisor, health, seniors, audit, staff, liveness and capture pages, same rule."""
    found = await walk(demo_server, browser, language=language, owner="pages", check=raw_texts)
    if found:
        pytest.fail(report(found), pytrace=False)
