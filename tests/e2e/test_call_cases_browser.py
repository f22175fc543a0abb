"""The calls page's call-backs say whose case it is, when it began, and who each number
tried belongs to, instead of bare phone numbers."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from alarms import flows as alarm_flows
from callcenter.models import CallCase
from seniors import service as seniors_service
from seniors.models import Senior
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_a_call_back_names_the_senior_and_the_contacts_tried(
        demo_server: LiveServer, browser: Browser, language: str) -> None:
    """A no-movement alarm's call-back reads as the senior's name, then each number tried
    with the senior's or the contact's name beside it."""
    runtime = demo_server.runtime
    senior_id = 2
    async with runtime.sessions() as session:
        senior = await session.get(Senior, senior_id)
        contacts = await seniors_service.contacts_of(session, senior_id=senior_id)
    assert senior is not None and contacts
    page = await page_in(browser, language)
    await log_in(page, demo_server, "operator1")
    await page.goto(f"{demo_server.url}/app#/calls")
    await page.locator("#calls-cases").wait_for(state="attached")
    # An urgent alarm raised by data alone: the centre calls back (the live feed shows it).
    await alarm_flows.raise_and_announce(runtime, senior_id=senior_id, kind="inactivity",
                                         at=runtime.clock.now())
    row = page.locator("#calls-cases li", has=page.locator(".case-senior",
                                                             has_text=senior.name)).first
    await row.wait_for()
    async with runtime.sessions() as session:
        case = await session.scalar(select(CallCase).where(CallCase.senior_id == senior_id))
    assert case is not None and await row.get_attribute("data-case") == str(case.id)
    # The first number tried is the senior's own; the cascade then calls the first contact.
    await page.wait_for_function(
        "([id, name]) => document.querySelector(`#calls-cases li[data-case='${id}']`)"
        ".textContent.includes(name)", arg=[case.id, contacts[0].name], timeout=60_000)
    text = await row.inner_text()
    assert (f"{senior.name}（" if language == "zh-CN" else f"{senior.name} (") in text
