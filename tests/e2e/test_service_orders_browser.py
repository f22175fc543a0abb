"""An operator on a call sends a service from the senior's record, then rates it and complains."""

from __future__ import annotations

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


async def provider_kpis(server: LiveServer, provider_id: int) -> dict[str, float]:
    """The provider's KPIs as the API reports them."""
    async with server.runtime.sessions() as session:
        provider = await provider_service.get_provider(session, provider_id)
        return provider_service.kpis_of(provider).model_dump()
