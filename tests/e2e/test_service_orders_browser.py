"""An operator on a call sends a service from the senior's record, then rates it and complains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from dispatch import flows
from dispatch import providers as provider_service
from dispatch.models import Offer, ServiceOrder
from dispatch.schemas import ProviderAction
from seniors.models import Senior
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in

pytestmark = pytest.mark.browser


async def test_operator_orders_a_service_then_rates_it_and_complains(
    demo_server: LiveServer,
    browser: Browser,
) -> None:
    """The order made in the seniors page is offered; once done, the stars and the complaint
    typed in the same panel reach the order."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        senior = await session.scalar(select(Senior).where(Senior.district == "新城区").limit(1))
    assert senior is not None
    page = await browser.new_page()
    await log_in(page, demo_server, "operator1")
    await page.click("#nav a[data-page=seniors]")
    await page.locator(f"#seniors-rows tr[data-id='{senior.id}']").click()
    panel = page.locator("#senior-detail")
    await panel.locator("form.service-order select[name=service]").select_option("cleaning")
    await panel.locator("form.service-order textarea[name=notes]").fill("厨房和卫生间")
    await panel.locator("button.create-order").click()
    result = panel.locator(".order-result[data-order]")
    await result.wait_for()
    order_id = int(await result.get_attribute("data-order") or 0)
    assert f"#{order_id}" in await result.inner_text()
    async with runtime.sessions() as session:
        order = await session.get(ServiceOrder, order_id)
        assert order is not None and order.source == "operator" and order.notes == "厨房和卫生间"
        offer = await session.scalar(
            select(Offer).where(Offer.order_id == order_id, Offer.state == "offered").limit(1)
        )
    assert offer is not None and order.state == "offered"
    for action in (ProviderAction.ACCEPT, ProviderAction.ARRIVE, ProviderAction.COMPLETE):
        await flows.provider_acts(
            runtime,
            order_id=order_id,
            provider_id=offer.provider_id,
            action=action,
            offer_token=offer.token,
        )
    await page.locator(f"#seniors-rows tr[data-id='{senior.id}']").click()
    row = panel.locator(f".senior-orders li[data-order='{order_id}'][data-state=completed]")
    await row.locator("select.stars").select_option("2")
    await row.locator("button.rate").click()
    rated = panel.locator(f".senior-orders li[data-order='{order_id}'][data-state=rated]")
    await rated.wait_for()
    await rated.locator("input.complaint").fill("迟到半小时")
    await rated.locator("button.complain").click()
    status = ".senior-orders [role=status]"
    await page.wait_for_function(
        f"() => document.querySelector('{status}').textContent.includes('#{order_id} 的投诉')"
    )
    async with runtime.sessions() as session:
        done = await session.get(ServiceOrder, order_id)
        assert done is not None
        await session.refresh(done)
        assert (done.state, done.rating) == ("rated", 2)
    kpis = await provider_kpis(demo_server, offer.provider_id)
    assert kpis["complaints"] == 1 and kpis["rating"] == 2.0


# The words each page shows for the reason an order could not be placed (the locale tables).
NO_AREA = {
    "zh-CN": "该街道没有提供此服务的机构",
    "en": "No provider offers this service in the district",
}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_an_order_nobody_can_take_says_why_in_words(
    demo_server: LiveServer, browser: Browser, language: str
) -> None:
    """An order that escalates at once says why in the reader's language, from the server's
    reason code, never the English sentence the order's history keeps."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        far = await session.scalar(select(Senior).where(Senior.district == "清水河县").limit(1))
    assert far is not None
    page = await page_in(browser, language)
    await log_in(page, demo_server, "operator1")
    await page.click("#nav a[data-page=seniors]")
    await page.locator(f"#seniors-rows tr[data-id='{far.id}']").click()
    form = page.locator("#senior-detail form.service-order")
    service = form.get_by_role("combobox", name="服务" if language == "zh-CN" else "Service")
    await service.select_option("medical_visit")
    await form.locator("button.create-order").click()
    result = page.locator("#senior-detail .order-result[data-order]")
    await result.wait_for()
    async with runtime.sessions() as session:
        order = await session.get(ServiceOrder, int(await result.get_attribute("data-order") or 0))
    assert order is not None and order.escalation_code == "no_area"
    shown = await result.inner_text()
    assert NO_AREA[language] in shown and order.escalation_reason not in shown


async def test_the_visit_time_is_read_on_the_centres_clock(
    demo_server: LiveServer, browser: Browser
) -> None:
    """A visit time typed in the form is the centre's local time, wherever the browser is."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        senior = await session.scalar(select(Senior).where(Senior.district == "新城区").limit(1))
    assert senior is not None
    centre = ZoneInfo(runtime.settings.timezone)
    visit = (datetime.now(UTC) + timedelta(days=2)).astimezone(centre).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    context = await browser.new_context(timezone_id="America/New_York")
    page = await context.new_page()
    await log_in(page, demo_server, "operator1")
    await page.click("#nav a[data-page=seniors]")
    await page.locator(f"#seniors-rows tr[data-id='{senior.id}']").click()
    form = page.locator("#senior-detail form.service-order")
    await form.get_by_label("上门时间").fill(visit.strftime("%Y-%m-%dT%H:%M"))
    await form.locator("button.create-order").click()
    result = page.locator("#senior-detail .order-result[data-order]")
    await result.wait_for()
    async with runtime.sessions() as session:
        order = await session.get(ServiceOrder, int(await result.get_attribute("data-order") or 0))
    assert order is not None and order.service_at == visit.astimezone(UTC)
    await context.close()


async def provider_kpis(server: LiveServer, provider_id: int) -> dict[str, float]:
    """The provider's KPIs as the API reports them."""
    async with server.runtime.sessions() as session:
        provider = await provider_service.get_provider(session, provider_id)
        return provider_service.kpis_of(provider).model_dump()
