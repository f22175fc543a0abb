"""An operator's desk in a real browser: go available, get a reserved task, accept, complete."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from alarms import flows
from alarms import service as alarms_service
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


async def test_operator_takes_a_reserved_alarm_from_the_desk(demo_server: LiveServer,
                                                            browser: Browser) -> None:
    """A low-battery alarm is reserved for the idle operator, who accepts and owns the alarm;
    the senior's record pops up with a link to the incident; wrap-up can be ended early."""
    runtime = demo_server.runtime
    page = await browser.new_page()
    await log_in(page, demo_server, "operator2")
    await page.click("#nav a[data-page=desk]")
    await page.click("button[data-set=available]")
    await page.wait_for_selector("#desk-state[data-state=available]")
    raised = await flows.raise_and_announce(runtime, senior_id=4, kind="low_battery",
                                            at=runtime.clock.now())
    offer = page.locator("#desk-offers li[data-id]")
    await offer.wait_for(timeout=15000)
    assert "alarm:" in await offer.inner_text()
    assert await offer.locator(".countdown").count() == 1
    await offer.locator("button.accept").click()
    await page.wait_for_selector("#desk-working li[data-id]")
    await page.wait_for_selector("#desk-senior:not([hidden]) h3")
    async with runtime.sessions() as session:
        alarm = await alarms_service.get_alarm(session, raised.alarm.id)
    assert alarm.acknowledged_by == "operator2"
    # The call panel: the senior's record with devices and history, and the incident link.
    await page.wait_for_selector("#desk-incident-link")
    for part in ("#record-medical", "#record-contacts", "#record-devices", "#record-alarms",
                 "#record-calls", "#record-orders"):
        assert await page.locator(f"#desk-senior {part}").count() == 1, part
    assert "low_battery" in await page.inner_text("#desk-senior #record-alarms")
    await page.click("#desk-working button.complete")
    await page.wait_for_selector("#desk-state[data-state=wrap_up]")
    await page.click("#desk-ready")
    await page.wait_for_selector("#desk-state[data-state=available]")
