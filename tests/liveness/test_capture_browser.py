"""The capture page in a real chromium with a fake camera runs a whole challenge session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright
from sqlalchemy import select

from config.settings import Settings
from dashboard.app import create_app
from liveness.links import CaptureLink, sign_link
from liveness.models import LivenessTask
from liveness.runtime import liveness_of
from runtime.context import Runtime
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


PHONE: ViewportSize = {"width": 390, "height": 844}


async def consenting_senior(runtime: Runtime, *, consent: bool = True) -> int:
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
        if consent:
            await seniors_service.add_consent(
                session, senior_id=senior.id, recorded_by="test", now=runtime.clock.now(),
                data=ConsentIn.model_validate({"purpose": "biometric", "granted": True,
                                               "method": "in_person"}))
        await session.commit()
        return senior.id


def capture_link(runtime: Runtime, senior_id: int) -> str:
    return sign_link(liveness_of(runtime).link_key, CaptureLink(
        senior_id, "kiosk", "test_subsidy_staff", runtime.clock.now() + timedelta(minutes=10)))


async def fits_the_phone(page: Page) -> None:
    """Nothing wider than the phone's screen, and the other ways are always on screen."""
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert await page.locator("#ask-call").is_visible()
    assert await page.locator("#ask-visit").is_visible()


async def test_capture_page_runs_a_session_and_offers_the_next_try(
        live_server: LiveServer, camera_browser: Browser,
        templates: dict[str, list[float]]) -> None:
    """On a phone: countdown, spoken prompts, upload; no face: plain words, then try 2 of 3."""
    runtime = live_server.runtime
    senior_id = await consenting_senior(runtime)
    await enrol_directly(runtime, senior_id, templates["obama"])
    page = await camera_browser.new_page(viewport=PHONE)
    await page.goto(f"{live_server.url}/liveness/capture?token={capture_link(runtime, senior_id)}")
    await page.wait_for_selector("#start:not([hidden])")
    assert await page.locator("#start").inner_text() == "开始认证"
    assert await page.locator("#attempt").inner_text() == "第 1 次，共可试 3 次"
    await fits_the_phone(page)
    await page.click("#start")
    await page.wait_for_function("() => /^[1-9]$/.test(document.getElementById('countdown')"
                                 ".textContent)")
    await page.wait_for_function("() => document.getElementById('action').textContent"
                                 ".startsWith('请')", timeout=15_000)
    prompts = ("请眨眨眼", "请张开嘴", "请向左转头", "请向右转头", "请点点头")
    assert await page.locator("#action").inner_text() in prompts
    await page.wait_for_selector("#decision:not([hidden])", timeout=60_000)
    assert await page.locator("#decision").get_attribute("data-outcome") == "fail"
    assert await page.locator("#decision").inner_text() == "认证未通过"
    reasons = await page.locator("#reasons").inner_text()
    assert "没有看到您的脸" in reasons and "再试一次" in reasons
    assert "face_not_found" not in reasons
    await fits_the_phone(page)
    assert "token=" in page.url and capture_link(runtime, senior_id) not in page.url
    await page.click("#retry")
    await page.wait_for_function("() => document.getElementById('attempt').textContent"
                                 ".startsWith('第 2 次')")


async def test_without_consent_the_senior_is_told_and_asks_for_a_call(
        live_server: LiveServer, camera_browser: Browser) -> None:
    """In English on a phone: no camera start, the refusal in words, a call request filed."""
    runtime = live_server.runtime
    senior_id = await consenting_senior(runtime, consent=False)
    page = await camera_browser.new_page(viewport=PHONE)
    await page.goto(f"{live_server.url}/liveness/capture?token={capture_link(runtime, senior_id)}")
    await page.wait_for_selector("#problem:not([hidden])")
    await page.click("#lang")
    await page.wait_for_function("() => document.getElementById('problem-title').textContent"
                                 " === 'You have not agreed to face checks'")
    assert "without your face" in await page.locator("#problem-next").inner_text()
    assert await page.locator("#start").is_hidden()
    await fits_the_phone(page)
    await page.click("#ask-call")
    await page.wait_for_function("() => document.getElementById('asked').textContent"
                                 ".includes('phone you soon')")
    async with runtime.sessions() as session:
        task = await session.scalar(select(LivenessTask))
    assert task is not None and (task.kind, task.senior_id) == ("call", senior_id)


async def test_a_forged_link_is_refused_in_words(live_server: LiveServer,
                                                 camera_browser: Browser) -> None:
    """A link whose signature does not hold starts nothing; both languages say so plainly."""
    page = await camera_browser.new_page(viewport=PHONE)
    await page.goto(f"{live_server.url}/liveness/capture?token=e30.forged")
    await page.wait_for_selector("#problem:not([hidden])")
    assert await page.locator("#problem-title").inner_text() == "这个链接打不开"
    assert await page.locator("#start").is_hidden()
    await page.click("#lang")
    await page.wait_for_function("() => document.getElementById('problem-title').textContent"
                                 " === 'This link does not work'")
    await fits_the_phone(page)


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
