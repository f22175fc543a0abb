"""A dispatcher sees an escalated order on the board and reassigns it by hand."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from dispatch import flows
from dispatch.models import Provider
from dispatch.schemas import OrderCreate, Urgency
from seniors.models import Senior
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


async def test_dispatcher_reassigns_an_escalated_order(
    demo_server: LiveServer,
    browser: Browser,
) -> None:
    """An escalated order appears live on the board; reassigning it sends an offer."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        far = await session.scalar(select(Senior).where(Senior.district == "清水河县").limit(1))
        nurse = await session.scalar(select(Provider).where(Provider.name == "北疆护理站"))
    assert far is not None and nurse is not None
    password = (runtime.settings.data_dir / "demo-password").read_text().strip()
    page = await browser.new_page()
    await page.goto(f"{demo_server.url}/login")
    await page.fill("#username", "dispatcher1")
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/app")
    await page.click("#nav a[data-page=dispatch]")
    await page.wait_for_selector("#dispatch-escalated")
    await page.wait_for_selector("#live-status[data-state=open]")
    order = await flows.create_order(
        runtime,
        actor="operator1",
        data=OrderCreate(senior_id=far.id, service="medical_visit", urgency=Urgency.SAME_DAY),
    )
    assert order.state == "escalated"
    row = page.locator(f"#dispatch-escalated tr[data-order='{order.id}']")
    await row.wait_for()
    assert "清水河县" in await row.inner_text()
    await row.locator("select.reassign-provider").select_option(str(nurse.id))
    await row.locator("button.reassign").click()
    await page.locator(f"#dispatch-offers tr[data-order='{order.id}']").wait_for()
    assert (
        "北疆护理站"
        in await page.locator(f"#dispatch-offers tr[data-order='{order.id}']").inner_text()
    )
    assert await page.locator(f"#dispatch-escalated tr[data-order='{order.id}']").count() == 0
    assert await page.locator("#dispatch-status").inner_text() == f"已改派订单 #{order.id}"


async def test_dispatcher_edits_and_suspends_a_provider_from_the_board(
    demo_server: LiveServer,
    browser: Browser,
) -> None:
    """Capacity and hours changed in the providers card are saved; a suspended provider is
    shown as such and gets no offer until reactivated."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        nurse = await session.scalar(select(Provider).where(Provider.name == "北疆护理站"))
    assert nurse is not None
    page = await browser.new_page()
    await log_in(page, demo_server, "dispatcher1")
    await page.click("#nav a[data-page=dispatch]")
    row = page.locator(f"#dispatch-providers tr[data-provider='{nurse.id}']").first
    await row.wait_for()
    await row.locator("button.edit").click()
    form = page.locator(f"tr.provider-form[data-provider='{nurse.id}'] form")
    await form.locator("input[name=capacity]").fill("7")
    await form.locator("input[name=start]").fill("07:30")
    await form.locator("button.save").click()
    await page.wait_for_function(
        "() => document.querySelector('#dispatch-status').textContent.includes('北疆护理站')"
    )
    async with runtime.sessions() as session:
        saved = await session.get(Provider, nurse.id)
        assert saved is not None
        await session.refresh(saved)
        assert (saved.capacity, saved.work_start_minute) == (7, 7 * 60 + 30)
    row = page.locator(f"#dispatch-providers tr[data-provider='{nurse.id}']").first
    await row.locator("button.suspend").click()
    suspended = page.locator(
        f"#dispatch-providers tr[data-provider='{nurse.id}'][data-status=suspended]"
    )
    await suspended.wait_for()
    assert "已暂停" in await suspended.inner_text()
    async with runtime.sessions() as session:
        far = await session.scalar(select(Senior).where(Senior.district == "清水河县").limit(1))
    assert far is not None
    order = await flows.create_order(
        runtime,
        actor="operator1",
        data=OrderCreate(senior_id=far.id, service="medical_visit", urgency=Urgency.SAME_DAY),
    )
    assert order.state == "escalated"
    await suspended.locator("button.reactivate").click()
    await page.locator(
        f"#dispatch-providers tr[data-provider='{nurse.id}'][data-status=active]"
    ).wait_for()
