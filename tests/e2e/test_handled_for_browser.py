"""A station's alarm taken by a centre above it reads so, in words, on the station's pages."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from alarms import flows
from seniors.models import Senior
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


async def test_the_station_sees_its_sos_handled_for_it_by_the_region(
        demo_server: LiveServer, browser: Browser) -> None:
    """The region's supervisor acknowledges an Erenhot senior's SOS from the queue; Erenhot's
    operator sees, live, who handled it for the station, in Chinese names, on the queue and
    in the incident's timeline."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        senior_id = (await session.scalars(select(Senior.id).where(
            Senior.area_code == "152501").order_by(Senior.id))).first()
    assert senior_id is not None
    pages = []
    for username in ("erlian1", "supervisor1"):
        page = await (await browser.new_context()).new_page()
        await log_in(page, demo_server, username)
        await page.click("#nav a[data-page=alarms]")
        pages.append(page)
    station, region = pages
    await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                   at=runtime.clock.now())
    row = "#alarm-rows tr[data-priority='1']"
    await station.wait_for_selector(f"{row}[data-state=raised]")
    await region.click(f"{row}[data-state=raised] button.ack")
    words = station.locator(f"{row}[data-state=acknowledged] .handled-for")
    await words.wait_for()
    handled = "由 自治区12349监管中心 代 二连浩特市12349服务站 处理"
    assert handled in await words.inner_text()
    await station.click(f"{row}[data-state=acknowledged]")
    await station.click("#incident-link")
    step = station.locator("#incident-timeline li[data-what='alarm.acknowledged']")
    await step.wait_for()
    assert handled in await step.inner_text()
