"""Logging in and out: tokens, the session cookie, throttling and lock-out."""

from __future__ import annotations

import httpx

from accounts.roles import Role
from runtime.clock import ManualClock
from tests.conftest import TEST_PASSWORD, LoginAs


async def test_login_gives_a_token_and_an_httponly_cookie(client: httpx.AsyncClient,
                                                          login_as: LoginAs) -> None:
    """The token works as a bearer header; the cookie is HttpOnly and SameSite."""
    headers = await login_as(Role.OPERATOR)
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.json()["username"] == "test_operator"
    response = await client.post("/api/v1/auth/login",
                                 json={"username": "test_operator", "password": TEST_PASSWORD})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    client.cookies.clear()
    client.cookies.set("anxin_session", response.json()["access_token"])
    me_by_cookie = await client.get("/api/v1/auth/me")
    assert me_by_cookie.status_code == 200


async def test_wrong_password_and_unknown_user_look_the_same(client: httpx.AsyncClient,
                                                             login_as: LoginAs) -> None:
    """Both answer 401 with the same message, so usernames cannot be probed."""
    await login_as(Role.OPERATOR)
    wrong = await client.post("/api/v1/auth/login",
                              json={"username": "test_operator", "password": "nope"})
    unknown = await client.post("/api/v1/auth/login",
                                json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_repeated_failures_lock_the_account_for_a_while(
    client: httpx.AsyncClient, login_as: LoginAs, clock: ManualClock
) -> None:
    """After five failures even the right password is refused until the lock runs out."""
    await login_as(Role.OPERATOR)
    for _ in range(5):
        response = await client.post("/api/v1/auth/login",
                                     json={"username": "test_operator", "password": "bad"})
        assert response.status_code == 401
    locked = await client.post("/api/v1/auth/login",
                               json={"username": "test_operator", "password": TEST_PASSWORD})
    assert locked.status_code == 423
    assert "locked" in locked.json()["detail"]
    clock.advance(16 * 60)
    unlocked = await client.post("/api/v1/auth/login",
                                 json={"username": "test_operator", "password": TEST_PASSWORD})
    assert unlocked.status_code == 200


async def test_logout_ends_the_session(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """A token stops working once its session is closed."""
    headers = await login_as(Role.SUPERVISOR)
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_sessions_expire(client: httpx.AsyncClient, login_as: LoginAs,
                               clock: ManualClock) -> None:
    """A token older than the session lifetime is refused."""
    headers = await login_as(Role.OPERATOR)
    clock.advance(13 * 3600)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_admin_creates_staff_and_others_cannot(client: httpx.AsyncClient,
                                                     login_as: LoginAs) -> None:
    """Only an admin creates accounts; the new account can log in; weak passwords are refused."""
    admin = await login_as(Role.ADMIN)
    body = {"username": "operator9", "display_name": "值班员九", "role": "operator",
            "password": "a long enough pass"}
    supervisor = await login_as(Role.SUPERVISOR)
    assert (await client.post("/api/v1/staff", json=body, headers=supervisor)).status_code == 403
    assert (await client.post("/api/v1/staff", json=body, headers=admin)).status_code == 201
    assert (await client.post("/api/v1/staff", json=body, headers=admin)).status_code == 409
    weak = await client.post("/api/v1/staff", headers=admin,
                             json={**body, "username": "operator10", "password": "short"})
    assert weak.status_code == 422 and "password" in weak.json()["detail"]
    login = await client.post("/api/v1/auth/login",
                              json={"username": "operator9", "password": "a long enough pass"})
    assert login.json()["user"]["role"] == "operator"
