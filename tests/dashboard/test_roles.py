"""Every API route refuses strangers (401) and the wrong roles (403)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from accounts.roles import Role
from tests.conftest import LoginAs

PUBLIC = {("POST", "/api/v1/auth/login")}


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the API as the OpenAPI document lists it, ids filled in."""
    routes = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if path.startswith("/api/") and (method.upper(), path) not in PUBLIC:
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return routes


async def test_every_api_route_needs_a_login(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Each route under /api answers 401 without a token, and with a made-up token."""
    routes = api_routes(app)
    assert len(routes) >= 10
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer forged-token"}):
            response = await client.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, response.status_code)


# (method, path, body, roles allowed); every other role must get 403.
MATRIX: list[tuple[str, str, dict[str, object] | None, set[Role]]] = [
    ("GET", "/api/v1/seniors", None, set(Role)),
    ("POST", "/api/v1/seniors", {}, {Role.OPERATOR, Role.SUPERVISOR, Role.SUBSIDY_STAFF,
                                     Role.ADMIN}),
    ("PATCH", "/api/v1/seniors/999", {}, {Role.OPERATOR, Role.SUPERVISOR, Role.SUBSIDY_STAFF,
                                          Role.ADMIN}),
    ("DELETE", "/api/v1/seniors/999", None, {Role.SUPERVISOR, Role.ADMIN}),
    ("GET", "/api/v1/staff", None, {Role.ADMIN}),
    ("POST", "/api/v1/staff", {}, {Role.ADMIN}),
    ("GET", "/api/v1/audit", None, {Role.SUPERVISOR, Role.ADMIN}),
    ("GET", "/api/v1/auth/me", None, set(Role)),
    ("GET", "/api/v1/alarms", None, {Role.OPERATOR, Role.SUPERVISOR, Role.DISPATCHER,
                                     Role.ADMIN}),
    ("POST", "/api/v1/alarms/999/ack", None, {Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
    ("POST", "/api/v1/alarms/999/resolve", {}, {Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
    ("POST", "/api/v1/devices/999/commands", {"command": "locate"},
     {Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
    ("GET", "/api/v1/devices/999/commands", None, {Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
    ("GET", "/api/v1/devices/999/position", None, {Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX)
async def test_role_matrix(client: httpx.AsyncClient, login_as: LoginAs, method: str, path: str,
                           body: dict[str, object] | None, allowed: set[Role]) -> None:
    """Allowed roles get past the role check (any answer but 401/403); others get 403."""
    for role in Role:
        headers = await login_as(role)
        response = await client.request(method, path, headers=headers, json=body)
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert "role" in response.json()["detail"]
