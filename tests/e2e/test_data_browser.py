"""Drills on the supervisor page and the bureau's report page, in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import Browser

from backups import drills
from backups.drills import DrillReport
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


async def test_supervisor_sees_the_drill_record(demo_server: LiveServer,
                                                browser: Browser) -> None:
    """Two passed drills this year: listed with recovery point and time, requirement met."""
    runtime = demo_server.runtime
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        for days in (1, 2):
            at = now - timedelta(days=days) if now.timetuple().tm_yday > 2 else now
            await drills.record_drill(session, report=DrillReport(
                started_at=at, finished_at=at, backup_file=f"anxin-{days}.anxbak",
                backup_created_at=at - timedelta(hours=3), recovery_point_s=10800.0,
                recovery_time_s=42.0, outcome="passed"))
        await session.commit()
    page = await browser.new_page()
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=supervisor]")
    await page.wait_for_selector("#sup-drills tr[data-drill]")
    assert await page.locator("#sup-drills tr[data-outcome=passed]").count() == 2
    assert "2" in await page.locator("#sup-drills-status").inner_text()
    assert "3.0 h" in await page.locator("#sup-drills").inner_text()


async def test_reports_page_shows_districts_of_a_month(demo_server: LiveServer,
                                                       browser: Browser) -> None:
    """The report page counts this month's registered seniors per district, with subsidy
    categories, alarm kinds and call purposes in words, never their codes."""
    runtime = demo_server.runtime
    page = await browser.new_page()
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=reports]")
    await page.wait_for_selector("#report-month")
    local = runtime.clock.now()
    await page.fill("#report-month", f"{local.year:04d}-{local.month:02d}")
    await page.click("#report-show")
    await page.wait_for_selector("#report-output section[data-district]")
    assert await page.locator("#report-output section[data-district]").count() >= 1
    assert await page.locator("#report-csv").count() == 1
    shown = await page.locator("#report-output").inner_text()
    assert "高龄津贴" in shown  # the demo's old_age_allowance seniors
    assert re.search(r"[a-z]+_[a-z_]+", shown) is None, shown  # no code such as low_income
