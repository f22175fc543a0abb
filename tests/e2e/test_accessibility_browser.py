"""axe-core (node_modules/, from package.json) on every page in both languages and sizes:
no critical or serious violation; alarm rows reachable with Tab and opened with Enter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from alarms import flows as alarm_flows
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.walk import report, walk

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGES = ["zh-CN", "en"]
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => ({ rule: v.id, impact: v.impact,
                   where: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
}"""


async def serious_violations(page: Page) -> list[str]:
    """axe's critical and serious findings on the page as it stands."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(AXE))
    found = await page.evaluate(RUN_AXE)
    return [json.dumps(item, ensure_ascii=False) for item in found]


@pytest.fixture
def axe() -> Path:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run scripts/setup (npm ci)")
    return AXE


@pytest.mark.parametrize("language", LANGUAGES)
async def test_my_pages_have_no_serious_accessibility_violation(
        demo_server: LiveServer, browser: Browser, axe: Path, language: str) -> None:
    """The words engineer's pages, the log-in page and the provider page pass axe."""
    found = await walk(demo_server, browser, language=language, owner="words",
                       check=serious_violations)
    if found:
        pytest.fail(report(found), pytrace=False)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_other_pages_have_no_serious_accessibility_violation(
        demo_server: LiveServer, browser: Browser, axe: Path, language: str) -> None:
    """Supervisor, health, seniors, audit, staff, liveness and capture pages, same rule."""
    found = await walk(demo_server, browser, language=language, owner="pages",
                       check=serious_violations)
    if found:
        pytest.fail(report(found), pytrace=False)


async def test_an_alarm_row_opens_from_the_keyboard_in_words(
        demo_server: LiveServer, browser: Browser) -> None:
    """Tab reaches the alarm row, Enter opens it; what fired it reads as words, not JSON."""
    runtime = demo_server.runtime
    await alarm_flows.raise_and_announce(runtime, senior_id=3, kind="fall",
                                         at=runtime.clock.now(), details={"event": "fall"})
    page = await browser.new_page()
    await log_in(page, demo_server, "operator1")
    await page.evaluate("() => { location.hash = '#/alarms'; }")
    row = page.locator("#alarm-rows tr").first
    await row.wait_for()
    await page.locator("#alarms-loading").wait_for(state="hidden")
    for _ in range(60):  # Tab from the top of the page until the row has the focus
        await page.keyboard.press("Tab")
        if await row.evaluate("(element) => element === document.activeElement"):
            break
    else:
        pytest.fail("no alarm row is reachable with Tab")
    await page.keyboard.press("Enter")
    fired = page.locator("#alarm-detail:not([hidden]) #alarm-fired")
    await fired.wait_for()
    text = await fired.inner_text()
    assert "跌倒" in text and "{" not in text and "event_id" not in text
    await page.close()
