"""The desk renders each offer's subject (who, what, where, how long) in the page's language."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Route

from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


def offer(task_id: int, ref: str, subject: dict[str, object]) -> dict[str, object]:
    now = datetime.now(UTC)
    return {"id": task_id, "kind": subject["kind"], "priority": subject["priority"], "ref": ref,
            "state": "offered", "created_at": now.isoformat(), "waited_seconds": 0,
            "offered_to": ["operator1"], "reserved_to": None, "reservation_expires": None,
            "assigned_to": None, "subject": subject}


@pytest.mark.parametrize(("language", "what", "stranger"), [
    ("en", "SOS", "Unregistered caller"), ("zh-CN", "紧急呼救", "未登记来电")])
async def test_desk_shows_who_what_where_and_waited(demo_server: LiveServer, browser: Browser,
                                                    language: str, what: str,
                                                    stranger: str) -> None:
    """An alarm offer shows the senior, the alarm in words, the address and minutes waited; a
    call from an unknown number says so; no raw reference is ever shown."""
    since = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()
    desk = {"operator": {"username": "operator1", "state": "available", "skills": [],
                         "languages": [], "idle_since": None, "misses": 0, "wrap_until": None,
                         "phone_endpoint": None},
            "offers": [
                offer(7, "alarm:11", {"kind": "alarm", "senior_id": 3, "senior_name": "王秀英",
                                      "what_zh": "紧急呼救", "what_en": "SOS",
                                      "address": "新华大街12号", "district": "新城区",
                                      "since": since, "priority": 1}),
                offer(8, "call:5", {"kind": "call", "senior_id": None, "senior_name": None,
                                    "what_zh": "来电", "what_en": "Call", "address": None,
                                    "district": None, "since": since, "priority": 3})],
            "working_on": []}

    async def fulfil(route: Route) -> None:
        await route.fulfill(status=200, content_type="application/json", body=json.dumps(desk))

    context = await browser.new_context()
    await context.add_init_script(f"localStorage.setItem('anxin.lang', '{language}')")
    page = await context.new_page()
    await page.route("**/api/v1/routing/me", fulfil)  # the lead's contract, served as stated
    await log_in(page, demo_server, "operator1")
    await page.click("#nav a[data-page=desk]")
    alarm = page.locator("#desk-offers li[data-id='7']")
    await alarm.wait_for()
    text = await alarm.inner_text()
    for shown in ("王秀英", what, "新城区", "新华大街12号", "3:0"):
        assert shown in text, (shown, text)
    call = await page.locator("#desk-offers li[data-id='8']").inner_text()
    assert stranger in call
    assert "alarm:" not in text and "call:" not in call
