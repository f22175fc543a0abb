"""Provider webhooks cannot point into the centre's own network outside demo mode (item 14)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from dispatch import webhook_targets
from dispatch.exceptions import InvalidRequest
from tests.conftest import LiveServer, serve
from tests.dispatch.conftest import AddProvider

INTERNAL = [
    ("http://127.0.0.1:8000/hook", "loopback"),
    ("http://localhost/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://[::ffff:10.0.0.1]/hook", "private"),
    ("http://10.1.2.3/hook", "private"),
    ("http://192.168.1.20/hook", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://240.0.0.1/hook", "reserved"),
    ("http://100.64.0.1/hook", "non-public"),
]


@pytest.mark.parametrize(("url", "reason"), INTERNAL)
async def test_internal_webhook_urls_are_refused(
    client: httpx.AsyncClient, dispatcher: dict[str, str], add_provider: AddProvider,
    url: str, reason: str,
) -> None:
    """Registering or editing a provider with an internal webhook is a 422 naming why."""
    response = await client.post("/api/v1/providers", headers=dispatcher, json={
        "name": "内网", "services": ["cleaning"], "districts": ["新城区"],
        "channel": "webhook", "webhook_url": url})
    assert response.status_code == 422 and reason in response.json()["detail"]
    provider_id = await add_provider("王师傅")
    edit = await client.patch(f"/api/v1/providers/{provider_id}", headers=dispatcher,
                              json={"channel": "webhook", "webhook_url": url})
    assert edit.status_code == 422 and reason in edit.json()["detail"]
    shown = (await client.get(f"/api/v1/providers/{provider_id}", headers=dispatcher)).json()
    assert shown["webhook_url"] is None and shown["channel"] == "sms"


async def test_a_name_that_does_not_resolve_is_refused(
    client: httpx.AsyncClient, dispatcher: dict[str, str]
) -> None:
    """A host nobody can resolve cannot be checked, so it is refused with that reason."""
    response = await client.post("/api/v1/providers", headers=dispatcher, json={
        "name": "无名", "services": ["cleaning"], "districts": ["新城区"],
        "channel": "webhook", "webhook_url": "https://nowhere.invalid/hook"})
    assert response.status_code == 422 and "does not resolve" in response.json()["detail"]


async def test_public_webhook_urls_are_kept(
    client: httpx.AsyncClient, dispatcher: dict[str, str]
) -> None:
    """A public address is accepted as before."""
    response = await client.post("/api/v1/providers", headers=dispatcher, json={
        "name": "公网", "services": ["cleaning"], "districts": ["新城区"],
        "channel": "webhook", "webhook_url": "https://93.184.216.34/hook"})
    assert response.status_code == 201, response.text


async def test_the_webhook_client_refuses_internal_hosts_before_sending() -> None:
    """A name re-pointed after it was saved is caught at send time: nothing reaches it."""
    reached: list[str] = []
    inner = FastAPI()

    @inner.post("/hook")
    async def hook() -> None:
        reached.append("hook")

    async for server in serve(inner):
        await _post_guarded(server)
        assert reached == []
        await _post_in_demo(server)
        assert reached == ["hook"]  # the demo's own fake provider may live on loopback


async def _post_guarded(server: LiveServer) -> None:
    async with webhook_targets.guarded_client(demo=False) as http:
        with pytest.raises(InvalidRequest, match="loopback"):
            await http.post(f"{server.url}/hook", content=b"{}")


async def _post_in_demo(server: LiveServer) -> None:
    async with webhook_targets.guarded_client(demo=True) as http:
        assert (await http.post(f"{server.url}/hook", content=b"{}")).status_code == 200
