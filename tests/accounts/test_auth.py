"""Logging in and out: tokens, the session cookie, rate limits, lock-outs, disabling."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from accounts.roles import Role
from config.settings import Settings
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


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    """A client whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://anxin.test")


async def _login(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"username": username, "password": password})


async def test_every_refusal_looks_the_same(app: FastAPI, client: httpx.AsyncClient,
                                            login_as: LoginAs) -> None:
    """Unknown user, wrong password, locked and disabled all answer the same 401 and text."""
    await login_as(Role.OPERATOR)
    admin = await login_as(Role.ADMIN)
    answers = [await _login(client, "test_operator", "nope"),
               await _login(client, "nobody", "nope")]
    async with client_at(app, "10.0.0.8") as locker:
        for _ in range(5):
            await _login(locker, "test_admin", "bad")
        answers.append(await _login(locker, "test_admin", TEST_PASSWORD))
    operator_id = (await client.get("/api/v1/auth/me", headers=await login_as(Role.OPERATOR))
                   ).json()["id"]
    await client.post(f"/api/v1/staff/{operator_id}/disable", headers=admin)
    answers.append(await _login(client, "test_operator", TEST_PASSWORD))
    assert {a.status_code for a in answers} == {401}
    assert len({a.text for a in answers}) == 1


async def test_repeated_failures_lock_only_that_address(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs, clock: ManualClock
) -> None:
    """Five failures from one address lock the account there; elsewhere it still logs in."""
    await login_as(Role.OPERATOR)
    async with client_at(app, "10.0.0.9") as attacker:
        for _ in range(5):
            assert (await _login(attacker, "test_operator", "bad")).status_code == 401
        assert (await _login(attacker, "test_operator", TEST_PASSWORD)).status_code == 401
        assert (await _login(client, "test_operator", TEST_PASSWORD)).status_code == 200
        clock.advance(16 * 60)
        assert (await _login(attacker, "test_operator", TEST_PASSWORD)).status_code == 200


async def test_admin_unlocks_an_account(app: FastAPI, client: httpx.AsyncClient,
                                        login_as: LoginAs) -> None:
    """The staff list shows the lock; an admin lifts it (audited) and the log-in works again."""
    admin = await login_as(Role.ADMIN)
    await login_as(Role.OPERATOR)
    async with client_at(app, "10.0.0.10") as desk:
        for _ in range(5):
            await _login(desk, "test_operator", "bad")
        staff = {s["username"]: s for s in (await client.get("/api/v1/staff", headers=admin)
                                            ).json()}
        assert staff["test_operator"]["locked"] and not staff["test_admin"]["locked"]
        operator_id = staff["test_operator"]["id"]
        operator = await login_as(Role.OPERATOR)
        assert (await client.post(f"/api/v1/staff/{operator_id}/unlock", headers=operator)
                ).status_code == 403
        unlocked = await client.post(f"/api/v1/staff/{operator_id}/unlock", headers=admin)
        assert unlocked.status_code == 200 and not unlocked.json()["locked"]
        assert (await _login(desk, "test_operator", TEST_PASSWORD)).status_code == 200
    audit = (await client.get("/api/v1/audit", params={"subject_id": str(operator_id)},
                              headers=admin)).json()
    assert any(entry["action"] == "staff.unlock" for entry in audit)
    assert (await client.post("/api/v1/staff/987654/unlock", headers=admin)).status_code == 404


async def test_disabling_ends_every_session(client: httpx.AsyncClient,
                                            login_as: LoginAs) -> None:
    """A disabled account's tokens stop at once; it logs in again once enabled; not oneself."""
    admin = await login_as(Role.ADMIN)
    operator = await login_as(Role.OPERATOR)
    me = (await client.get("/api/v1/auth/me", headers=operator)).json()
    disabled = await client.post(f"/api/v1/staff/{me['id']}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert (await client.get("/api/v1/auth/me", headers=operator)).status_code == 401
    assert (await _login(client, "test_operator", TEST_PASSWORD)).status_code == 401
    await client.post(f"/api/v1/staff/{me['id']}/enable", headers=admin)
    assert (await _login(client, "test_operator", TEST_PASSWORD)).status_code == 200
    admin_id = (await client.get("/api/v1/auth/me", headers=admin)).json()["id"]
    assert (await client.post(f"/api/v1/staff/{admin_id}/disable", headers=admin)
            ).status_code == 409
    audit = (await client.get("/api/v1/audit", params={"subject_id": str(me["id"])},
                              headers=admin)).json()
    assert {"staff.disable", "staff.enable"} <= {entry["action"] for entry in audit}


async def test_log_ins_are_rate_limited_per_address(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: ManualClock
) -> None:
    """Past the burst an address gets 429 with Retry-After; other addresses are unaffected."""
    async with client_at(app, "10.0.0.11") as flood:
        answers = [await _login(flood, f"u{i}", "x") for i in range(settings.login_rate_burst)]
        assert {a.status_code for a in answers} == {401}
        refused = await _login(flood, "u", "x")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert (await _login(client, "u", "x")).status_code == 401
        clock.advance(int(refused.headers["retry-after"]))
        assert (await _login(flood, "u", "x")).status_code == 401


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
