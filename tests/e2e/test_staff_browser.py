"""The staff page: an admin sees a locked account, unlocks it, and disables another."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser

from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

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
