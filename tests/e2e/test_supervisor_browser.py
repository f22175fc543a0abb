"""The supervisor's page in a real browser: the waiting alarm, operators, the staffing planner."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from alarms import flows
from alerts import flows as alert_flows
from callcenter.routing.lifespan import desk_of
from seniors.models import Senior
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in
from tests.e2e.test_pages_accessibility import bad_violations

pytestmark = pytest.mark.browser


async def test_supervisor_sees_the_queue_and_plans_staff(demo_server: LiveServer,
                                                         browser: Browser) -> None:
    """An unanswered SOS shows as a waiting P1 task; 30 calls/h × 3 min at 98.5 %/60 s → 5."""
    runtime = demo_server.runtime
    page = await browser.new_page()
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=supervisor]")
    await page.wait_for_selector("#sup-waiting")
    await flows.raise_and_announce(runtime, senior_id=2, kind="sos", at=runtime.clock.now())
    await page.wait_for_selector("#sup-tasks tr[data-id] .badge.p1", timeout=15000)
    assert await page.locator("#sup-waiting").inner_text() == "1"
    row = await page.locator("#sup-tasks tr[data-id]").inner_text()
    assert "P1 危及生命" in row and ("排队中" in row or "已推送" in row)
    assert "waiting" not in row and "alarm:" not in row
    assert await page.locator("#plan-target").input_value() == "98.5"
    await page.click("#plan-compute")
    await page.wait_for_selector("#sup-chart-erlang[data-drawn=true]")
    assert await page.locator("#plan-result").inner_text() == "需要值班员 5 人（60 秒内接听 99.4%）"
    assert await page.locator("#sup-chart-erlang").get_attribute("data-operators") == "5"


async def test_the_operator_table_shows_names(demo_server: LiveServer, browser: Browser) -> None:
    """Operators on the desk are listed by display name, never by account."""
    desk_of(demo_server.runtime).arrive("operator2")
    page = await browser.new_page()
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=supervisor]")
    row = page.locator("#sup-operators tr[data-user=operator2]")
    await row.wait_for()
    shown = await row.inner_text()
    assert "值班员 张伟" in shown and "operator2" not in shown


async def test_supervisor_watches_a_simulated_call_live(demo_server: LiveServer,
                                                        browser: Browser) -> None:
    """Monitoring a simulated call shows its status and IVR path, updated as the caller acts."""
    page = await browser.new_page()
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=supervisor]")
    await page.wait_for_selector("#sup-live-calls", state="attached")
    call_id = await page.evaluate("""async () => {
        const response = await fetch("/telephony/simulator/calls", {method: "POST",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({from_number: "+8613700000077"})});
        return (await response.json()).call.id;
    }""")
    await page.click(f"#sup-monitor-{call_id}", timeout=15000)
    await page.wait_for_selector("#sup-monitor-status:has-text('通话中')")
    await page.evaluate(f"""() => fetch("/telephony/simulator/calls/{call_id}/input", {{
        method: "POST", headers: {{"Content-Type": "application/json"}},
        body: JSON.stringify({{digits: "1"}})}})""")
    await page.wait_for_selector("#sup-monitor-path:has-text('按键 1')", timeout=15000)
    assert "状态" in await page.locator("#sup-monitor dl").inner_text()
    # The live-calls row names the queue the caller chose in words, not its code.
    row = page.locator(f"#sup-live-calls tr[data-id='{call_id}']")
    await page.wait_for_selector(f"#sup-live-calls tr[data-id='{call_id}']:has-text('紧急求助')",
                                 timeout=15000)
    assert "emergency" not in await row.inner_text()


async def test_an_alert_stays_on_the_supervisor_page_until_closed(demo_server: LiveServer,
                                                                   browser: Browser) -> None:
    """An emergency-visit alert raised while the page is open appears in words; marking it
    seen keeps it, closing it removes it (and it does not come back on reload)."""
    runtime = demo_server.runtime
    page = await browser.new_page()
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=supervisor]")
    await page.wait_for_selector("#sup-alerts li.muted")
    await alert_flows.raise_and_announce(
        runtime, kind="order_unassigned", ref="order:9", senior_id=2,
        detail={"what": "王秀英 · 新城区", "reason": "no provider accepted"})
    row = page.locator("#sup-alerts li[data-alert]")
    await row.wait_for(timeout=10000)
    assert "紧急上门工单无服务商接单：王秀英 · 新城区" in await row.inner_text()
    await row.locator(".alert-seen").click()
    await page.wait_for_selector("#sup-alerts li[data-state=seen]")
    await page.locator("#sup-alerts .alert-close").click()
    await page.wait_for_selector("#sup-alerts li.muted")
    await page.reload()
    await page.wait_for_selector("#sup-alerts li.muted")
    assert await page.locator("#sup-alerts li[data-alert]").count() == 0


@pytest.mark.parametrize(("language", "words"), [
    ("zh-CN", "目标须大于 0% 且小于 100%"), ("en", "The target must be more than 0 %")])
async def test_a_target_outside_percent_is_refused_in_words(
        demo_server: LiveServer, browser: Browser, language: str, words: str) -> None:
    """The target is asked in percent; 100 % is refused in the page's language, not as JSON."""
    page = await page_in(browser, language)
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=supervisor]")
    await page.fill("#plan-target", "100")
    await page.click("#plan-compute")
    await page.wait_for_selector("#plan-result.error")
    text = await page.locator("#plan-result").inner_text()
    assert text.startswith(words) and "query." not in text
    assert await page.locator("#plan-target").get_attribute("aria-invalid") == "true"


async def test_the_day_is_drawn_in_kpi_charts(demo_server: LiveServer, browser: Browser) -> None:
    """Service level, queue, answered/abandoned per hour and occupancy per operator are drawn."""
    runtime = demo_server.runtime
    await flows.raise_and_announce(runtime, senior_id=2, kind="sos", at=runtime.clock.now())
    page = await browser.new_page(viewport={"width": 1440, "height": 900})
    await log_in(page, demo_server, "supervisor1")
    await page.click("#nav a[data-page=supervisor]")
    for chart in ("level", "queue", "volume", "occupancy"):
        await page.wait_for_selector(f"#sup-chart-{chart}[data-drawn=true] canvas")
    assert int(await page.locator("#sup-chart-level").get_attribute("data-buckets") or 0) >= 1
    assert int(await page.locator("#sup-chart-occupancy").get_attribute("data-operators")
               or 0) >= 1
    legend = await page.locator("#sup-chart-level .u-legend").inner_text()
    assert "报警 60 秒内接警" in legend and "来电 180 秒内接听" in legend
    assert await page.locator("h1").count() == 1


@pytest.mark.parametrize(("language", "region", "league", "station", "today"), [
    ("zh-CN", "自治区12349监管中心", "锡林郭勒盟12349养老服务中心", "二连浩特市12349服务站",
     "警报 1 条"),
    ("en", "Regional 12349 supervision centre", "Xilingol League 12349 centre",
     "Erenhot 12349 station", "1 alarms")])
async def test_the_region_supervisor_sees_the_hierarchy_of_centres(
        demo_server: LiveServer, browser: Browser, language: str, region: str, league: str,
        station: str, today: str) -> None:
    """Region → league → station, indented, each in words with its open alarms, who is on
    duty and today's KPIs; an Erenhot SOS counts at the station, its league and the region;
    the tree passes axe."""
    today_words = "Today:" if language == "en" else "今日："
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        senior_id = await session.scalar(select(Senior.id).where(Senior.area_code == "152501")
                                         .order_by(Senior.id).limit(1))
    assert senior_id is not None
    await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                   at=runtime.clock.now())
    password = (runtime.settings.data_dir / "demo-password").read_text().strip()
    async with httpx.AsyncClient(base_url=demo_server.url) as http:
        signed_in = await http.post("/api/v1/auth/login",
                                    json={"username": "erlian1", "password": password})
        erlian1 = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        ready = await http.post("/api/v1/routing/me/state", json={"state": "available"},
                                headers=erlian1)
        assert ready.status_code == 200, ready.text
    page = await page_in(browser, language, bypass_csp=True)
    await log_in(page, demo_server, "supervisor1")
    await page.goto(f"{demo_server.url}/app#/supervisor")
    erenhot = page.locator("#sup-centres li[data-centre=erenhot]")
    await erenhot.wait_for()
    await page.wait_for_function(
        "() => document.querySelector('#sup-centres li[data-centre=erenhot]')"
        ".textContent.includes('巴特尔')", timeout=15000)
    rows = page.locator("#sup-centres li")
    slugs = [await rows.nth(i).get_attribute("data-centre") for i in range(await rows.count())]
    assert slugs.index("region") < slugs.index("xilingol") < slugs.index("erenhot")
    classes = {slug: await page.locator(f"#sup-centres li[data-centre={slug}]")
               .get_attribute("class") for slug in ("region", "xilingol", "erenhot")}
    assert classes == {"region": "depth-0", "xilingol": "depth-1", "erenhot": "depth-2"}
    counts = {}
    for slug, name in (("region", region), ("xilingol", league), ("erenhot", station)):
        line = page.locator(f"#sup-centres li[data-centre={slug}]")
        text = await line.inner_text()
        assert name in text and "erenhot" not in text and "erlian1" not in text, text
        assert (await line.locator(".centre-kpis").inner_text()).startswith(today_words)
        counts[slug] = (int(await line.get_attribute("data-open-alarms") or -1),
                        int(await line.get_attribute("data-alarms-today") or -1))
    assert counts["erenhot"] == counts["xilingol"] == (1, 1)
    assert counts["region"] >= (1, 1)
    erenhot_text = await erenhot.inner_text()
    assert ("1 open alarms" if language == "en" else "未结警报 1 条") in erenhot_text
    assert today in await erenhot.locator(".centre-kpis").inner_text()
    assert await bad_violations(page, "#sup-centres") == []
