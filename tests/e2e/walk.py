"""Every page of the dashboard, walked in a real browser: which pages there are, who owns
them, how to open each one, and what a page may not show a person."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from playwright.async_api import Browser, BrowserContext, Page, ViewportSize
from sqlalchemy import select

from alarms import flows as alarm_flows
from dispatch.flows import dispatch_of
from dispatch.models import ServiceOrder
from dispatch.signing import ProviderLink, sign_link
from liveness.links import CaptureLink
from liveness.links import sign_link as sign_capture_link
from liveness.runtime import liveness_of
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

VIEWPORTS: tuple[ViewportSize, ...] = ({"width": 1440, "height": 900},
                                       {"width": 390, "height": 844})


@dataclass(frozen=True)
class Walk:
    """The pages outside the app, by their signed links."""

    provider_path: str
    capture_path: str


# Hash routes of app.js and the engineer whose part each one is; "words" must pass, the
# "pages" engineer's are reported (expected to fail until that branch is merged).
APP_ROUTES: dict[str, str] = {
    "overview": "words", "desk": "words", "alarms": "words", "incident": "words",
    "incident/{incident}": "words", "calls": "words", "phone": "words", "knowledge": "words",
    "devices": "words", "dispatch": "words",
    "seniors": "pages", "supervisor": "pages", "health": "pages", "health/1": "pages",
    "audit": "pages", "staff": "pages", "liveness": "pages", "reports": "pages",
}
OUTSIDE: dict[str, str] = {"login": "words", "provider": "words", "capture": "pages"}
ADMIN_ONLY = {"staff"}
# Where the account is what the page manages, so it shows beside the name.
ACCOUNTS_SHOWN = {"staff"}


async def prepare(server: LiveServer) -> Walk:
    """An open alarm, an incident and signed links, so that no page is walked empty."""
    runtime = server.runtime
    now = runtime.clock.now()
    await alarm_flows.raise_and_announce(runtime, senior_id=1, kind="sos", at=now)
    low = await alarm_flows.raise_and_announce(runtime, senior_id=2, kind="low_battery", at=now)
    # An owned alarm, so the queue and the supervisor's tables show a person.
    await alarm_flows.acknowledge_and_announce(runtime, alarm_id=low.alarm.id, by="operator2")
    async with runtime.sessions() as session:
        order = await session.scalar(select(ServiceOrder).where(
            ServiceOrder.provider_id.is_not(None)).order_by(ServiceOrder.id).limit(1))
        assert order is not None and order.provider_id is not None
        provider_id, order_id = order.provider_id, order.id
    provider = sign_link(ProviderLink(provider_id, order_id, now + timedelta(hours=1)),
                         key=dispatch_of(runtime).policy.link_key)
    capture = sign_capture_link(liveness_of(runtime).link_key,
                                CaptureLink(1, "kiosk", "subsidy1", now + timedelta(hours=1)))
    return Walk(provider_path=f"/p/{provider}",
                capture_path=f"/liveness/capture?token={capture}")


async def open_incident(page: Page, server: LiveServer) -> int:
    """An incident opened by hand through the API, as the signed-in user."""
    answer = await page.request.post(f"{server.url}/api/v1/incidents",
                                     data={"senior_id": 1, "note": "上门查看"})
    if answer.status == 409:  # the SOS opened one already
        found = await page.request.get(f"{server.url}/api/v1/incidents?senior_id=1&state=open")
        return int((await found.json())[0]["id"])
    assert answer.ok, await answer.text()
    return int((await answer.json())["id"])


async def dial(page: Page, server: LiveServer, number: str, *keys: str) -> int:
    """A simulated call to 12349 from ``number``, the keys pressed; the call's id."""
    answer = await page.request.post(f"{server.url}/telephony/simulator/calls",
                                     data={"from_number": number})
    assert answer.ok, await answer.text()
    call_id = int((await answer.json())["call"]["id"])
    for key in keys:
        pressed = await page.request.post(
            f"{server.url}/telephony/simulator/calls/{call_id}/input", data={"digits": key})
        assert pressed.ok, await pressed.text()
    return call_id


async def place_calls(page: Page, server: LiveServer) -> None:
    """Senior 1 calls and the signed-in person answers, so the incident and the supervisor's
    monitor show a path with a person in it; a stranger waits for the calls page to answer."""
    senior = await (await page.request.get(f"{server.url}/api/v1/seniors/1")).json()
    known = await dial(page, server, senior["phones"][0])
    answered = await page.request.post(f"{server.url}/api/v1/calls/{known}/answer")
    assert answered.ok, await answered.text()
    await dial(page, server, "+8613700000088", "2")


async def answer_waiting_call(page: Page) -> None:
    """On the calls page: answer the waiting call, so its path (with who answered) shows."""
    await page.click("#calls-rows button.answer")
    await page.wait_for_selector("#calls-current:not([hidden])")
    await page.wait_for_load_state("networkidle")


async def watch_live_call(page: Page) -> None:
    """On the supervisor page: watch the answered call, so the monitor shows its path."""
    await page.click("#sup-live-calls button")
    await page.wait_for_selector("#sup-monitor-path")
    await page.wait_for_load_state("networkidle")


# What to do on a page before reading it.
ROUTE_ACTIONS: dict[str, Callable[[Page], Awaitable[None]]] = {
    "calls": answer_waiting_call, "supervisor": watch_live_call}


async def show_route(page: Page, route: str) -> None:
    """Open a hash route and wait until its page has built and its requests are answered."""
    await page.evaluate(f"() => {{ location.hash = '#/{route}'; }}")
    await page.wait_for_function("() => document.querySelector('#page > div')"
                                 " && document.querySelector('#page > div').childElementCount > 0")
    await page.wait_for_load_state("networkidle")


async def show_outside(page: Page, server: LiveServer, path: str) -> None:
    await page.goto(f"{server.url}{path}")
    await page.wait_for_load_state("networkidle")


VISIBLE_TEXT = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const parent = walker.currentNode.parentElement;
    if (!text || !parent || parent.closest('script, style, [hidden], .visually-hidden')) continue;
    if (!parent.getClientRects().length) continue;
    const style = getComputedStyle(parent);
    if (style.visibility === 'hidden') continue;
    found.push(text);
  }
  for (const select of document.querySelectorAll('select')) {
    const chosen = select.selectedOptions[0];
    if (select.getClientRects().length && chosen) found.push(chosen.text);
  }
  return found;
}"""

# What a person must never read: a code, an identifier, a placeholder for nothing, JSON.
RAW = [
    ("snake_case code", re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")),
    ("dotted code", re.compile(r"\b[a-z]+\.[a-z][a-z_]*\b")),
    ("null or undefined", re.compile(r"\b(?:null|undefined|NaN)\b|\[object Object\]")),
    ("JSON", re.compile(r"[{\[]\s*\"[^\"]+\"\s*:")),
    ("record by number", re.compile(r"\b(?:senior|device|provider|operator) #?\d+\b", re.I)),
    # staff by account instead of by name (the demo's accounts: operator1, dispatcher1, …)
    ("account name", re.compile(r"\b(?:operator|supervisor|dispatcher|subsidy)\d+\b")),
]


async def raw_texts(page: Page) -> list[str]:
    """Each visible string that breaks one of the rules, with the rule's name."""
    texts: list[str] = await page.evaluate(VISIBLE_TEXT)
    return [f"{name}: {text[:120]!r}" for text in texts for name, rule in RAW if rule.search(text)]


Check = Callable[[Page], Awaitable[list[str]]]


async def _browse(browser: Browser, language: str) -> tuple[BrowserContext, Page]:
    """A fresh browser profile with the page language chosen; CSP bypassed to inject axe."""
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    await page.add_init_script(f"localStorage.setItem('anxin.lang', '{language}')")
    return context, page


async def walk(server: LiveServer, browser: Browser, *, language: str, owner: str,
               check: Check) -> dict[str, list[str]]:
    """Run ``check`` on every page of ``owner`` at both sizes; what it found, by page."""
    places = await prepare(server)
    found: dict[str, list[str]] = {}

    async def look(page: Page, name: str) -> None:
        for viewport in VIEWPORTS:
            await page.set_viewport_size(viewport)
            problems = [p for p in await check(page)
                        if not (name in ACCOUNTS_SHOWN and p.startswith("account name"))]
            if problems:
                found[f"{name} at {viewport['width']}px"] = problems

    context, page = await _browse(browser, language)
    if OUTSIDE["login"] == owner:
        await show_outside(page, server, "/login")
        await look(page, "login")
    await log_in(page, server, "supervisor1")
    incident = await open_incident(page, server)
    await place_calls(page, server)
    for route, whose in APP_ROUTES.items():
        if whose == owner and route not in ADMIN_ONLY:
            await show_route(page, route.format(incident=incident))
            if route in ROUTE_ACTIONS:
                await ROUTE_ACTIONS[route](page)
            await look(page, route)
    for name, path in (("provider", places.provider_path), ("capture", places.capture_path)):
        if OUTSIDE[name] == owner:
            await show_outside(page, server, path)
            await look(page, name)
    await context.close()
    admin_routes = [r for r in ADMIN_ONLY if APP_ROUTES[r] == owner]
    if admin_routes:
        context, page = await _browse(browser, language)
        await log_in(page, server, "admin")
        for route in admin_routes:
            await show_route(page, route)
            await look(page, route)
        await context.close()
    return found


def report(found: dict[str, list[str]]) -> str:
    """What was found, a line per finding (pytest's own diff of a long dict takes minutes)."""
    return "\n".join(f"{place}: {problem}" for place, problems in found.items()
                     for problem in problems)
