"""The supervisor's page in a real browser: the waiting alarm, operators, the staffing planner."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from alarms import flows
from alerts import flows as alert_flows
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


async def test_supervisor_sees_the_queue_and_plans_staff(demo_server: LiveServer,
                                                         browser: Browser) -> None:
    """An unanswered SOS shows as a waiting P1 task; 30 calls/h × 3 min at 98.5 %/60 s → 5."""
    runtime = demo_server.runtime
    page = await browser.new_page()
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=supervisor]")
    await page.wait_for_selector("#sup-waiting")
    await flows.raise_and_announce(runtime, senior_id=2, kind="sos", at=runtime.clock.now())
    await page.wait_for_selector("#sup-tasks tr[data-id] .badge.p1", timeout=15000)
    assert await page.locator("#sup-waiting").inner_text() == "1"
    await page.click("#plan-compute")
    await page.wait_for_selector("#plan-result:has-text('5')")
    assert "5" in await page.locator("#plan-result").inner_text()


async def test_supervisor_watches_a_simulated_call_live(demo_server: LiveServer,
                                                        browser: Browser) -> None:
    """Monitoring a simulated call shows its status and IVR path, updated as the caller acts."""
    page = await browser.new_page()
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=supervisor]")
    await page.wait_for_selector("#sup-live-calls", state="attached")
    call_id = await page.evaluate("""async () => {
        const response = await fetch("/telephony/simulator/calls", {method: "POST",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({from_number: "+8613700000077"})});
        return (await response.json()).call.id;
    }""")
    await page.click(f"#sup-monitor-{call_id}", timeout=15000)
    await page.wait_for_selector("#sup-monitor-status:has-text('in_progress')")
    await page.evaluate(f"""() => fetch("/telephony/simulator/calls/{call_id}/input", {{
        method: "POST", headers: {{"Content-Type": "application/json"}},
        body: JSON.stringify({{digits: "1"}})}})""")
    await page.wait_for_selector("#sup-monitor-path:has-text('key:1')", timeout=15000)


async def test_an_alert_stays_on_the_supervisor_page_until_closed(demo_server: LiveServer,
                                                                   browser: Browser) -> None:
    """An emergency-visit alert raised while the page is open appears in words; marking it
    seen keeps it, closing it removes it (and it does not come back on reload)."""
    runtime = demo_server.runtime
    page = await browser.new_page()
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=supervisor]")
    await page.wait_for_selector("#sup-alerts li.muted")
    await alert_flows.raise_and_announce(
        runtime, kind="order_unassigned", ref="order:9", senior_id=2,
        detail={"what": "王秀英 · 新城区", "reason": "no provider accepted"})
    row = page.locator("#sup-alerts li[data-alert]")
    await row.wait_for(timeout=10000)
    assert "紧急上门工单无服务商接单：王秀英 · 新城区" in await row.inner_text()
    await row.locator(".alert-seen").click()
    await page.wait_for_selector("#sup-alerts li[data-state=seen]")
    await page.locator("#sup-alerts .alert-close").click()
    await page.wait_for_selector("#sup-alerts li.muted")
    await page.reload()
    await page.wait_for_selector("#sup-alerts li.muted")
    assert await page.locator("#sup-alerts li[data-alert]").count() == 0
