"""The capture page in a real chromium with a fake camera runs a whole challenge session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import Browser, async_playwright

from config.settings import Settings
from dashboard.app import create_app
from liveness.links import CaptureLink, sign_link
from seniors import service as seniors_service
from seniors.schemas import ConsentIn, SeniorCreate
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, serve
from tests.liveness.test_api import enrol_directly
from tests.seniors.test_api import senior_body

pytestmark = pytest.mark.browser
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
async def camera_browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/setup --system as root")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=[*CHROMIUM_ARGS, *FAKE_CAMERA])
        yield launched
        await launched.close()


async def test_capture_page_runs_a_session_and_shows_the_decision(
        live_server: LiveServer, camera_browser: Browser,
        templates: dict[str, list[float]]) -> None:
    """Start, follow the spoken prompts, upload; chromium's test pattern has no face: fail."""
    runtime = live_server.runtime
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
        await seniors_service.add_consent(
            session, senior_id=senior.id, recorded_by="test", now=runtime.clock.now(),
            data=ConsentIn.model_validate({"purpose": "biometric", "granted": True,
                                           "method": "in_person"}))
        await session.commit()
        senior_id = senior.id
    await enrol_directly(runtime, senior_id, templates["obama"])
    assert runtime.liveness is not None
    token = sign_link(runtime.liveness.link_key, CaptureLink(
        senior_id, "kiosk", "test_subsidy_staff", runtime.clock.now() + timedelta(minutes=10)))
    page = await camera_browser.new_page()
    await page.goto(f"{live_server.url}/liveness/capture?token={token}")
    assert await page.locator("#start").inner_text() == "开始认证"
    await page.click("#start")
    await page.wait_for_function("() => document.getElementById('action').textContent.length > 2",
                                 timeout=15_000)
    prompts = ("请眨眨眼", "请张开嘴", "请向左转头", "请向右转头", "请点点头")
    assert await page.locator("#action").inner_text() in prompts
    await page.wait_for_selector("#decision:not([hidden])", timeout=60_000)
    assert await page.locator("#decision").get_attribute("data-outcome") == "fail"
    assert await page.locator("#decision").inner_text() == "认证未通过"
    assert "face_not_found" in await page.locator("#reasons").inner_text()


async def test_a_forged_link_is_refused(live_server: LiveServer, camera_browser: Browser
                                        ) -> None:
    """A link whose signature does not hold starts no session."""
    page = await camera_browser.new_page()
    await page.goto(f"{live_server.url}/liveness/capture?token=e30.forged")
    await page.click("#start")
    await page.wait_for_function(
        "() => document.getElementById('hint').textContent.includes('出错')")
    assert "not valid" in await page.locator("#hint").inner_text()


@pytest.fixture
async def demo_server(settings: Settings) -> AsyncIterator[LiveServer]:
    async for server in serve(create_app(settings.model_copy(update={"demo": True}))):
        yield server


async def test_subsidy_staff_see_the_roster_and_operators_do_not(
        demo_server: LiveServer, camera_browser: Browser) -> None:
    """subsidy1 opens the roster with overdue seniors and the CSV links; operator1 has no tab."""
    password = (demo_server.runtime.settings.data_dir / "demo-password").read_text().strip()
    page = await camera_browser.new_page()
    for username in ("subsidy1", "operator1"):
        await page.goto(f"{demo_server.url}/login")
        await page.fill("#username", username)
        await page.fill("#password", password)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/app")
        await page.wait_for_selector("#nav a")
        if username == "operator1":
            assert await page.locator("#nav a[data-page=liveness]").count() == 0
            break
        await page.click("#nav a[data-page=liveness]")
        await page.wait_for_selector("#liveness-rows tr[data-standing=overdue]")
        assert await page.locator("#holds-csv").get_attribute("href") == \
            "/api/v1/liveness/holds.csv"
        await page.click("#logout")
        await page.wait_for_url("**/login")  # let the log-out finish before the next log-in
