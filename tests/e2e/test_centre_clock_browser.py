"""Charts keep the centre's clock when the browser sits in another time zone: the health
chart's time labels and the supervisor's "today" are the centre's, not the browser's."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser

from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.test_health_browser import minutes_of_readings

pytestmark = pytest.mark.browser
ELSEWHERE = "America/New_York"  # twelve or thirteen hours behind the demo centre


async def test_the_health_chart_labels_time_on_the_centre_clock(
        demo_server: LiveServer, browser: Browser) -> None:
    """Ten minutes of readings: every time label under the chart is a centre-clock minute
    within those ten, although the browser's clock says half a day earlier."""
    runtime = demo_server.runtime
    await minutes_of_readings(runtime, 6)
    centre = ZoneInfo(runtime.settings.timezone)
    last = runtime.clock.now().astimezone(centre)
    context = await browser.new_context(timezone_id=ELSEWHERE,
                                        viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    await log_in(page, demo_server, "operator1")
    await page.goto(f"{demo_server.url}/app#/health/6")
    chart = page.locator("figure[data-metric=heart_rate][data-drawn=true]")
    await chart.wait_for()
    ticks = (await chart.get_attribute("data-x-ticks") or "").split("|")
    assert ticks and ticks != [""]
    for tick in ticks:
        hour, minute = (int(part) for part in tick.split(":"))
        behind = (last.hour * 60 + last.minute - (hour * 60 + minute)) % (24 * 60)
        assert behind <= 11, f"{tick} is not a centre-clock minute of the readings ({last:%H:%M})"
    await context.close()


async def test_the_supervisor_day_starts_at_the_centre_midnight(
        demo_server: LiveServer, browser: Browser) -> None:
    """The day's KPI series is asked from the centre's midnight, and the hourly bars are
    labelled with the centre's hours."""
    runtime = demo_server.runtime
    centre = ZoneInfo(runtime.settings.timezone)
    context = await browser.new_context(timezone_id=ELSEWHERE,
                                        viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    await log_in(page, demo_server, "supervisor1")
    async with page.expect_request(lambda r: "/api/v1/kpis/series" in r.url) as asked:
        await page.goto(f"{demo_server.url}/app#/supervisor")
    start = datetime.fromisoformat(parse_qs(urlparse((await asked.value).url).query)["from"][0])
    today = datetime.now(centre).replace(hour=0, minute=0, second=0, microsecond=0)
    assert start == today.astimezone(start.tzinfo), start
    volume = page.locator("#sup-chart-volume[data-drawn=true]")
    await volume.wait_for()
    hours = (await volume.get_attribute("data-x-ticks") or "").split("|")
    assert hours[0] == "0:00"
    latest = (datetime.now(centre) - timedelta(minutes=1)).hour
    assert int(hours[-1].split(":")[0]) <= latest
    await context.close()
