"""axe-core (node_modules, from package.json) on the pages of the "pages" part: no critical
and no serious violations, one h1 on each, in both languages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, ViewportSize

from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in
from tests.liveness.test_capture_browser import capture_link, consenting_senior

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE: ViewportSize = {"width": 390, "height": 844}
PAGES = [  # (user, route, a selector present once the page has its data)
    ("supervisor1", "supervisor", "#sup-chart-level[data-drawn=true]"),
    ("supervisor1", "audit", "#audit-rows tr"),
    ("operator1", "seniors", "#seniors-rows tr"),
    ("operator1", "health/2", "#health-charts section"),
    ("subsidy1", "liveness", "#liveness-rows tr"),
    ("admin", "staff", "#staff-rows tr"),
]


async def bad_violations(page: Page, within: str = "body") -> list[str]:
    """The critical and serious axe findings inside ``within``, as 'rule: first element'."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run scripts/setup (npm)")
    await page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = await page.evaluate(
        "async (within) => (await axe.run(within)).violations.map((v) => ({id: v.id,"
        " impact: v.impact, node: v.nodes[0] && v.nodes[0].target.join(' ')}))", within)
    return [f"{v['id']}: {v['node']}" for v in found if v["impact"] in ("critical", "serious")]


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_staff_pages_pass_axe(demo_server: LiveServer, browser: Browser,
                                        language: str) -> None:
    """Supervisor, audit, seniors, health, roster and staff: 0 critical/serious, one h1."""
    problems = {}
    for user, route, ready in PAGES:
        page = await page_in(browser, language, bypass_csp=True)
        await log_in(page, demo_server, user)
        await page.goto(f"{demo_server.url}/app#/{route}")
        await page.wait_for_selector(ready)
        assert await page.locator("main h1").count() == 1, route
        # The page's own part; the shell around it (top bar) belongs to the "words" part.
        problems[route] = await bad_violations(page, "#page")
        await page.context.close()
    assert problems == {route: [] for _, route, _ in PAGES}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_capture_page_passes_axe_on_a_phone(live_server: LiveServer,
                                                      browser: Browser, language: str) -> None:
    """The senior's page at 390×844, ready and refused: 0 critical/serious, one h1."""
    runtime = live_server.runtime
    senior_id = await consenting_senior(runtime, consent=False)
    page = await page_in(browser, language, PHONE, bypass_csp=True)
    await page.goto(f"{live_server.url}/liveness/capture?token={capture_link(runtime, senior_id)}")
    await page.wait_for_selector("#problem:not([hidden])")
    assert await page.locator("h1").count() == 1
    assert await bad_violations(page) == []
