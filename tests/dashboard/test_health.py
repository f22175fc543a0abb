"""Probes, OpenAPI and metrics."""

import httpx

from accounts.roles import Role
from tests.conftest import LoginAs


async def test_probes_answer(client: httpx.AsyncClient) -> None:
    """/healthz says alive; /readyz has reached the database."""
    assert (await client.get("/healthz")).json() == {"status": "alive"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_openapi_lists_the_api(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """The OpenAPI document describes the seniors and login routes."""
    headers = await login_as(Role.OPERATOR)
    spec = (await client.get("/openapi.json", headers=headers)).json()
    assert "/api/v1/seniors" in spec["paths"] and "/api/v1/auth/login" in spec["paths"]
    assert (await client.get("/docs", headers=headers)).status_code == 200


async def test_metrics_need_a_supervisor(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """Metrics are refused to strangers and operators, and counted requests show up."""
    assert (await client.get("/metrics")).status_code == 401
    operator = await login_as(Role.OPERATOR)
    assert (await client.get("/metrics", headers=operator)).status_code == 403
    supervisor = await login_as(Role.SUPERVISOR)
    body = (await client.get("/metrics", headers=supervisor)).text
    assert 'anxin_http_requests_total{method="POST",route="/api/v1/auth/login"' in body


async def test_pages_send_strangers_to_login(client: httpx.AsyncClient,
                                             login_as: LoginAs) -> None:
    """The dashboard shell redirects without a session and is served with one."""
    assert (await client.get("/app")).headers["location"] == "/login"
    assert "login-form" in (await client.get("/login")).text
    headers = await login_as(Role.OPERATOR)
    shell = await client.get("/app", headers=headers)
    assert shell.status_code == 200 and 'id="nav"' in shell.text
