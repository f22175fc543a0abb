"""A dispatcher files an order from the board: the senior picker finds the senior by phone,
name or resident ID with the keyboard, then the service-order form sends it."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page
from sqlalchemy import select

from dispatch.models import ServiceOrder
from seniors.models import Senior, SeniorPhone
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in

pytestmark = pytest.mark.browser
PICKER = "#dispatch-new-order input[role=combobox]"


async def open_board(page: Page, server: LiveServer) -> None:
    await log_in(page, server, "dispatcher1")
    await page.click("#nav a[data-page=dispatch]")
    await page.wait_for_selector("#dispatch-escalated")


async def test_dispatcher_picks_a_senior_by_phone_and_files_an_order(
        demo_server: LiveServer, browser: Browser) -> None:
    """Typing a phone number's last digits lists the senior; ArrowDown and Enter choose them,
    and the form under the picker files an order for that senior, listed by their name."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        phone = await session.scalar(select(SeniorPhone).order_by(SeniorPhone.id).limit(1))
        assert phone is not None
        senior = await session.get(Senior, phone.senior_id)
    assert senior is not None
    page = await browser.new_page()
    await open_board(page, demo_server)
    box = page.locator(PICKER)
    label = page.locator(f"label[for='{await box.get_attribute('id')}']")
    assert await label.inner_text() == "老人"
    await box.fill(phone.number[-8:])
    match = page.locator(f"#dispatch-new-order [role=option][data-senior='{senior.id}']")
    await match.wait_for()
    assert senior.name in await match.inner_text()
    await box.press("ArrowDown")
    assert await box.get_attribute("aria-activedescendant") == await match.get_attribute("id")
    await box.press("Enter")
    form = page.locator("#dispatch-order-form form.service-order")
    await form.wait_for()
    assert await page.locator("#dispatch-new-order [role=listbox]").is_hidden()
    await form.locator("select[name=service]").select_option("cleaning")
    await form.locator("button.create-order").click()
    result = page.locator("#dispatch-order-form .order-result[data-order]")
    await result.wait_for()
    order_id = int(await result.get_attribute("data-order") or 0)
    async with runtime.sessions() as session:
        order = await session.get(ServiceOrder, order_id)
    assert order is not None and (order.senior_id, order.service) == (senior.id, "cleaning")
    row = page.locator(f"#dispatch-orders tr[data-order='{order_id}']")
    await row.wait_for()
    assert f"#{order_id} · {senior.name}" in await row.inner_text()  # whose order it is


async def test_the_picker_finds_by_resident_id_and_name_in_english(
        demo_server: LiveServer, browser: Browser) -> None:
    """A full resident ID finds exactly that senior; part of a name lists the namesakes with
    district and masked ID, and a click chooses one; the words are English."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        senior = await session.scalar(select(Senior).where(Senior.district == "赛罕区")
                                      .order_by(Senior.id.desc()).limit(1))
    assert senior is not None
    page = await page_in(browser, "en")
    await open_board(page, demo_server)
    box = page.locator(PICKER)
    await box.fill(senior.resident_id)
    options = page.locator("#dispatch-new-order [role=option]")
    await options.first.wait_for()
    assert await options.count() == 1
    assert await options.first.get_attribute("data-senior") == str(senior.id)
    assert senior.resident_id not in await options.first.inner_text()  # masked, as everywhere
    await box.fill(senior.name[-1])
    await page.wait_for_function(
        "() => document.querySelectorAll('#dispatch-new-order [role=option]').length > 1")
    text = await page.locator("#dispatch-new-order").inner_text()
    assert "Type a name" in text and "shown" in text
    await options.first.click()
    await page.locator("#dispatch-order-form form.service-order").wait_for()
    assert "Chosen:" in await page.locator("#dispatch-new-order .picker-status").inner_text()


@pytest.mark.parametrize("user", ["dispatcher1", "subsidy1"])
async def test_roles_without_alarms_open_the_app_without_a_script_error(
        demo_server: LiveServer, browser: Browser, user: str) -> None:
    """The live feed's first message for a role that hears no alarms (it has no alarms part)
    raises no uncaught error in the page."""
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await log_in(page, demo_server, user)
    await page.locator("#page h1, #page h2").first.wait_for()
    assert errors == []
