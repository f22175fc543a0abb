"""The staff page: an admin sees a locked account, unlocks it, and disables another."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser

from accounts import service as accounts_service
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in
from tests.e2e.language import page_in

pytestmark = pytest.mark.browser


async def test_admin_unlocks_and_disables_from_the_staff_page(demo_server: LiveServer,
                                                            browser: Browser) -> None:
    """A locked operator shows as locked; Unlock lifts it; Disable signs the other one out."""
    password = (demo_server.runtime.settings.data_dir / "demo-password").read_text().strip()
    async with httpx.AsyncClient(base_url=demo_server.url) as http:
        for _ in range(5):
            await http.post("/api/v1/auth/login",
                            json={"username": "operator1", "password": "wrong"})
        signed_in = await http.post("/api/v1/auth/login",
                                    json={"username": "operator2", "password": password})
        operator2 = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        page = await browser.new_page()
        await log_in(page, demo_server, "admin")
        await page.click("#nav a[data-page=staff]")
        locked = page.locator("tr[data-username=operator1]")
        await locked.locator("td.state", has_text="登录已锁定").wait_for()
        await locked.locator("button.unlock").click()
        await page.wait_for_selector("#staff-message:has-text('operator1')")
        await locked.locator("td.state", has_text="正常").wait_for()
        assert await locked.locator("button.unlock").count() == 0
        relogin = await http.post("/api/v1/auth/login",
                                  json={"username": "operator1", "password": password})
        assert relogin.status_code == 200

        other = page.locator("tr[data-username=operator2]")
        await other.locator("button.disable").click()
        await other.locator("td.state", has_text="已停用").wait_for()
        assert (await http.get("/api/v1/auth/me", headers=operator2)).status_code == 401
        await other.locator("button.enable").click()
        await other.locator("td.state", has_text="正常").wait_for()


@pytest.mark.parametrize(("language", "role_words", "skill_words"), [
    ("zh-CN", "值班长", "紧急救助"), ("en", "Supervisor", "Emergencies")])
async def test_admin_creates_edits_and_signs_out_an_account(
        demo_server: LiveServer, browser: Browser, language: str, role_words: str,
        skill_words: str) -> None:
    """Create operator7, make them a supervisor with the emergency skill, sign them out."""
    page = await page_in(browser, language)
    await log_in(page, demo_server, "admin")
    await page.goto(f"{demo_server.url}/app#/staff")
    await page.wait_for_selector("#staff-rows tr")
    await page.fill("#staff-new-username", "operator7")
    await page.fill("#staff-new-name", "值班员 七")
    await page.fill("#staff-new-password", "a long enough pass")
    await page.click("#staff-create button[type=submit]")
    row = page.locator("tr[data-username=operator7]")
    await row.wait_for()
    await row.locator("button.edit").click()
    form = page.locator("form.staff-edit[data-for=operator7]")
    await form.locator("select").select_option("supervisor")
    await form.locator("input[name=skills][value=emergency]").check()
    await form.locator("button.save").click()
    await page.wait_for_selector("tr[data-username=operator7] td.role")
    assert await row.locator("td.role").inner_text() == role_words
    assert skill_words in await row.locator("td.skills").inner_text()
    async with httpx.AsyncClient(base_url=demo_server.url) as http:
        signed_in = await http.post("/api/v1/auth/login", json={
            "username": "operator7", "password": "a long enough pass"})
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        assert (await http.get("/api/v1/auth/me", headers=headers)).json()["role"] == \
            "supervisor"
        # The edit's message names operator7 too: wait for the revoke's own.
        saved = await page.locator("#staff-message").inner_text()
        await row.locator("button.revoke").click()
        await page.wait_for_function(
            "(saved) => document.querySelector('#staff-message').textContent !== saved",
            arg=saved)
        assert "operator7" in await page.locator("#staff-message").inner_text()
        assert (await http.get("/api/v1/auth/me", headers=headers)).status_code == 401
    await page.fill("#staff-new-username", "operator7")
    await page.fill("#staff-new-name", "again")
    await page.fill("#staff-new-password", "a long enough pass")
    await page.click("#staff-create button[type=submit]")
    await page.wait_for_selector("#staff-message.error")
    assert "operator7" not in await page.locator("#staff-message").inner_text()
    assert await page.locator("h1").count() == 1


@pytest.mark.parametrize(("language", "station", "league"), [
    ("zh-CN", "二连浩特市12349服务站 · 值班员", "锡林郭勒盟12349养老服务中心 · 值班长"),
    ("en", "Erenhot 12349 station · Operator", "Xilingol League 12349 centre · Supervisor")])
async def test_admin_gives_an_operator_a_second_centre_with_another_role(
        demo_server: LiveServer, browser: Browser, language: str, station: str,
        league: str) -> None:
    """erlian1 works at Erenhot as an operator; the admin adds the league centre with the
    supervisor role, and the row says both in words."""
    page = await page_in(browser, language)
    await log_in(page, demo_server, "admin")
    await page.goto(f"{demo_server.url}/app#/staff")
    row = page.locator("tr[data-username=erlian1]")
    await row.locator("td.centres", has_text=station).wait_for()
    await row.locator("button.centres").click()
    form = page.locator("form.staff-centres[data-for=erlian1]")
    await form.locator("button.add-centre").click()
    added = form.locator("li.centre-line").nth(1)
    await added.locator("select.centre").select_option("xilingol")
    await added.locator("select.centre-role").select_option("supervisor")
    await form.locator("button.save").click()
    await page.locator("tr[data-username=erlian1] td.centres", has_text=league).wait_for()
    assert station in await page.locator("tr[data-username=erlian1] td.centres").inner_text()
    async with demo_server.runtime.sessions() as session:
        user = await accounts_service.get_user_by_username(session, "erlian1")
        assert user is not None
        held = (await accounts_service.memberships_of(session, [user.id]))[user.id]
    assert [(m.centre_slug, m.role) for m in held] == [("erenhot", "operator"),
                                                       ("xilingol", "supervisor")]


@pytest.mark.parametrize(("language", "skills"), [
    ("en", "Emergencies, Mongolian, Mandarin"), ("zh-CN", "紧急救助、蒙古语、普通话")])
async def test_skills_and_languages_are_listed_in_the_page_language(
        demo_server: LiveServer, browser: Browser, language: str, skills: str) -> None:
    """An operator's skills and languages are joined with ", " in English and 、 in Chinese."""
    page = await page_in(browser, language)
    await log_in(page, demo_server, "admin")
    await page.goto(f"{demo_server.url}/app#/staff")
    row = page.locator("#staff-rows tr[data-username=operator1]")
    await row.wait_for()
    first = skills.replace("、", ",").split(",")[0]
    await page.wait_for_function(
        "(first) => document.querySelector('#staff-rows tr[data-username=operator1]')"
        ".textContent.includes(first)", arg=first)
    assert skills in await row.inner_text()
