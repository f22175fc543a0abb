"""Moving a senior on the seniors page: their open alarm goes to the new area's centre, the
old station no longer sees it, and the audit says who moved them from where to where."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from accounts.models import AuditEntry
from alarms import flows
from alarms.models import Alarm
from seniors.models import Senior
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in

pytestmark = pytest.mark.browser


async def bearer(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    signed_in = await http.post("/api/v1/auth/login",
                                json={"username": username, "password": password})
    assert signed_in.status_code == 200, signed_in.text
    return {"Authorization": f"Bearer {signed_in.json()['access_token']}"}


@pytest.mark.parametrize(("language", "area_now", "moved"), [
    ("zh-CN", "现居区域：二连浩特市", "已迁至满洲里市"),
    ("en", "Lives in: Erenhot", "moved to Manzhouli")])
async def test_a_senior_moved_on_the_seniors_page_takes_their_alarm_along(
        demo_server: LiveServer, browser: Browser, language: str, area_now: str,
        moved: str) -> None:
    """The region's supervisor moves an Erenhot senior with an open SOS to Manzhouli."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        senior = (await session.scalars(select(Senior).where(Senior.area_code == "152501")
                                        .order_by(Senior.id).limit(1))).one()
    announced = await flows.raise_and_announce(runtime, senior_id=senior.id, kind="sos",
                                               at=runtime.clock.now())
    alarm_id = announced.alarm.id
    page = await page_in(browser, language)
    await log_in(page, demo_server, "supervisor1")
    await page.goto(f"{demo_server.url}/app#/seniors")
    await page.wait_for_selector("#seniors-rows tr")
    await page.fill("#search-name", senior.name)
    await page.locator(f"#seniors-rows tr[data-id='{senior.id}']").click()
    await page.locator("#senior-move", has_text=area_now).wait_for()
    await page.select_option("#senior-move-area", "150781")
    await page.fill("#senior-move-address", "满洲里市中苏路2号")
    await page.click("#senior-move button[type=submit]")
    await page.locator("#senior-move-message", has_text=moved).wait_for()
    async with runtime.sessions() as session:
        area = await session.scalar(select(Senior.area_code).where(Senior.id == senior.id))
        alarm_area = await session.scalar(select(Alarm.area_code).where(Alarm.id == alarm_id))
        audit = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "senior.move", AuditEntry.subject_id == str(senior.id)))).one()
    assert (area, alarm_area) == ("150781", "150781")
    assert audit.actor == "supervisor1"
    assert (audit.detail["from_area"], audit.detail["to_area"]) == ("152501", "150781")
    password = (runtime.settings.data_dir / "demo-password").read_text().strip()
    async with httpx.AsyncClient(base_url=demo_server.url) as http:
        old = await http.get(f"/api/v1/alarms/{alarm_id}",
                             headers=await bearer(http, "erlian1", password))
        new = await http.get(f"/api/v1/alarms/{alarm_id}",
                             headers=await bearer(http, "manzhouli1", password))
    assert (old.status_code, new.status_code) == (404, 200)
