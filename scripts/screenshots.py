"""Current screenshots for the user guides: a demo server on a free loopback port, Debian's
chromium through Playwright, a handful of pages per role at 1440×900 (the senior's page at
390×844), written as PNG into docs/screenshots/. Run it as ``scripts/screenshots``."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from PIL import Image
from playwright.async_api import Browser, Page, ViewportSize, async_playwright
from pydantic import SecretStr
from sqlalchemy import select

from accounts.demo import demo_password
from benchmarks.serving import served
from config.settings import Settings
from dashboard.app import create_app
from devices import service as devices_service
from devices.models import DeviceReading
from dispatch.flows import dispatch_of
from dispatch.models import Offer
from dispatch.signing import ProviderLink
from dispatch.signing import sign_link as sign_provider_link
from liveness.links import CaptureLink
from liveness.links import sign_link as sign_capture_link
from liveness.runtime import liveness_of
from runtime.context import Runtime

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Shot:
    """One page as one role sees it: file name, user (None: no log-in), app route or URL."""

    name: str
    user: str | None
    route: str
    ready: str  # a selector present once the page has its data


SHOTS = (
    Shot("operator-desk", "operator1", "#/desk", "#page h1, #page h2"),
    Shot("operator-alarms", "operator1", "#/alarms", "#page h1, #page h2"),
    Shot("operator-health", "operator1", "#/health/2", "figure[data-drawn=true]"),
    Shot("supervisor-kpis", "supervisor1", "#/supervisor", "#sup-chart-level[data-drawn=true]"),
    Shot("supervisor-audit", "supervisor1", "#/audit", "#page h1"),
    Shot("dispatcher-board", "dispatcher1", "#/dispatch", "#page h1, #page h2"),
    Shot("subsidy-roster", "subsidy1", "#/liveness", "#liveness-rows tr"),
    Shot("admin-staff", "admin", "#/staff", "#staff-rows tr"),
)


async def add_readings(runtime: Runtime, senior_id: int) -> None:
    """Half an hour of heart-rate readings from a watch, so the health page has a line."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        await devices_service.provision_device(session, model_id="anxin-watch",
                                               senior_id=senior_id, location="", now=now,
                                               device_id=f"guide-watch-{senior_id}")
        for minute in range(0, 30, 2):
            at = now - timedelta(minutes=minute)
            session.add(DeviceReading(device_id=f"guide-watch-{senior_id}", senior_id=senior_id,
                                      metric="heart_rate", value=72 + (minute * 7) % 15,
                                      measured_at=at, received_at=at))
        await session.commit()


async def provider_url(runtime: Runtime) -> str | None:
    """The provider's page for the first open offer of the demo data, if there is one."""
    async with runtime.sessions() as session:
        offer = await session.scalar(select(Offer).order_by(Offer.id))
    if offer is None:
        return None
    link = ProviderLink(offer.provider_id, offer.order_id,
                        runtime.clock.now() + timedelta(hours=1))
    return f"/p/{sign_provider_link(link, key=dispatch_of(runtime).policy.link_key)}"


def capture_url(runtime: Runtime, senior_id: int) -> str:
    link = CaptureLink(senior_id, "home", "subsidy1", runtime.clock.now() + timedelta(minutes=30))
    return f"/liveness/capture?token={sign_capture_link(liveness_of(runtime).link_key, link)}"


def shrink(path: Path) -> None:
    """256 colours are plenty for a screenshot of forms and charts, at a third of the bytes."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)


async def snap(page: Page, path: Path, *, full_page: bool = False) -> None:
    await page.screenshot(path=str(path), full_page=full_page)
    await asyncio.to_thread(shrink, path)


async def log_in(page: Page, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/app")


async def take(browser: Browser, base: str, password: str, shot: Shot, out: Path,
               language: str) -> None:
    context = await browser.new_context(viewport=DESKTOP, locale=language)
    await context.add_init_script(f"localStorage.setItem('anxin.lang', '{language}')")
    page = await context.new_page()
    if shot.user is not None:
        await log_in(page, base, shot.user, password)
        await page.goto(f"{base}/app{shot.route}")
    else:
        await page.goto(f"{base}{shot.route}")
    await page.wait_for_selector(shot.ready, timeout=20_000)
    await page.wait_for_timeout(300)  # let the last fetches paint; a picture, not a test
    await snap(page, out / f"{shot.name}.{language}.png")
    await context.close()


async def take_phone(browser: Browser, base: str, path: str, name: str, out: Path,
                     language: str, ready: str) -> None:
    context = await browser.new_context(viewport=PHONE, locale=language, is_mobile=True,
                                        device_scale_factor=1)
    await context.add_init_script(f"localStorage.setItem('anxin.lang', '{language}')")
    page = await context.new_page()
    await page.goto(f"{base}{path}")
    await page.wait_for_selector(ready, timeout=20_000)
    await snap(page, out / f"{name}.{language}.png", full_page=True)
    await context.close()


async def main(out: Path, languages: list[str]) -> None:
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), demo=True, mqtt_enabled=False,
                            secret_key=SecretStr(secrets.token_urlsafe(40)),
                            biometric_key=SecretStr(secrets.token_urlsafe(40)),
                            login_failure_delay_seconds=0.0, login_rate_burst=1000)
        app = create_app(settings)
        async with served(app) as port, async_playwright() as playwright:
            base = f"http://127.0.0.1:{port}"
            runtime: Runtime = app.state.runtime
            await add_readings(runtime, 2)
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            password = demo_password(settings)
            provider = await provider_url(runtime)
            for language in languages:
                for shot in SHOTS:
                    await take(browser, base, password, shot, out, language)
                await take_phone(browser, base, capture_url(runtime, 1), "senior-capture", out,
                                 language, "#problem:not([hidden]), #start:not([hidden])")
            if provider is not None:  # the provider's page speaks both languages at once
                await take_phone(browser, base, provider, "provider-order", out, "zh-CN", "body")
                # A link that was cut short or altered: the page says so in words.
                await take_phone(browser, base, provider[:-6], "provider-bad-link", out, "zh-CN",
                                 "#message")
            await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--language", action="append", choices=["zh-CN", "en"],
                        help="zh-CN, en or both (the default)")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(options.out, options.language or ["zh-CN", "en"]))
