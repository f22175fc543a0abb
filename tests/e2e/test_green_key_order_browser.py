"""A green-key press becomes a service order from the operator's desk."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from alarms import flows as alarm_flows
from dispatch.models import ServiceOrder
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


async def test_operator_turns_a_green_key_press_into_an_order(
    demo_server: LiveServer, browser: Browser
) -> None:
    """The operator takes the service-request task, calls the senior back and orders a meal in
    the senior's panel; the order records the green key and the alarm it came from."""
    runtime = demo_server.runtime
    page = await browser.new_page()
    await log_in(page, demo_server, "operator2")
    await page.click("#nav a[data-page=desk]")
    await page.click("button[data-set=available]")
    await page.wait_for_selector("#desk-state[data-state=available]")
    raised = await alarm_flows.raise_and_announce(
        runtime, senior_id=4, kind="service_request", at=runtime.clock.now()
    )
    offer = page.locator("#desk-offers li[data-id]")
    await offer.wait_for(timeout=15000)
    await offer.locator("button.accept").click()
    form = page.locator("#desk-senior form.service-order")
    await form.wait_for()
    await form.locator("select[name=service]").select_option("meals")
    await form.locator("textarea[name=notes]").fill("午饭，软食")
    await form.locator("button.create-order").click()
    result = page.locator("#desk-senior .order-result[data-order]")
    await result.wait_for()
    async with runtime.sessions() as session:
        order = await session.scalar(
            select(ServiceOrder).where(ServiceOrder.source_ref == f"alarm:{raised.alarm.id}")
        )
    assert order is not None
    assert (order.source, order.senior_id, order.service) == ("green_key", 4, "meals")
    assert await result.get_attribute("data-order") == str(order.id)
