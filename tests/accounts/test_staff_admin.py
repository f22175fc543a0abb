"""Staff accounts from the admin's side: edit name and role, sign out everywhere, audited."""

from __future__ import annotations

import httpx

from accounts.roles import Role
from tests.conftest import LoginAs


async def staff_id(client: httpx.AsyncClient, admin: dict[str, str], username: str) -> int:
    staff = (await client.get("/api/v1/staff", headers=admin)).json()
    return next(int(s["id"]) for s in staff if s["username"] == username)


async def test_admin_changes_a_role_and_the_change_is_audited(
        client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """operator → supervisor with a new name takes effect on the next request; audited once."""
    operator = await login_as(Role.OPERATOR)
    admin = await login_as(Role.ADMIN)
    target = await staff_id(client, admin, "test_operator")
    assert (await client.get("/api/v1/kpis/series", headers=operator, params={
        "from": "2026-01-05T09:00:00+00:00", "to": "2026-01-05T10:00:00+00:00"})
    ).status_code == 403
    changed = await client.patch(f"/api/v1/staff/{target}", headers=admin,
                                 json={"role": "supervisor", "display_name": "值班长 新"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["display_name"]) == ("supervisor", "值班长 新")
    assert (await client.get("/api/v1/auth/me", headers=operator)).json()["role"] == "supervisor"
    audit = (await client.get("/api/v1/audit", headers=admin,
                              params={"action": "staff.update"})).json()
    assert [a["detail"] for a in audit] == [{"display_name": "值班长 新", "role": "supervisor"}]
    same = await client.patch(f"/api/v1/staff/{target}", headers=admin, json={"role": "supervisor"})
    assert same.status_code == 200
    assert len((await client.get("/api/v1/audit", headers=admin,
                                 params={"action": "staff.update"})).json()) == 1


async def test_bad_edits_are_refused(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """Unknown role or field: 422; own role: 409; a supervisor: 403; unknown id: 404."""
    admin = await login_as(Role.ADMIN)
    me = await staff_id(client, admin, "test_admin")
    assert (await client.patch(f"/api/v1/staff/{me}", headers=admin,
                               json={"role": "king"})).status_code == 422
    assert (await client.patch(f"/api/v1/staff/{me}", headers=admin,
                               json={"password": "x"})).status_code == 422
    own = await client.patch(f"/api/v1/staff/{me}", headers=admin, json={"role": "operator"})
    assert own.status_code == 409 and "your own role" in own.text
    supervisor = await login_as(Role.SUPERVISOR)
    assert (await client.patch(f"/api/v1/staff/{me}", headers=supervisor,
                               json={"display_name": "x"})).status_code == 403
    assert (await client.patch("/api/v1/staff/999999", headers=admin,
                               json={"display_name": "x"})).status_code == 404


async def test_signing_out_everywhere_ends_every_session(
        client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """Two sessions of the operator end; the account still logs in again; audited."""
    first = await login_as(Role.OPERATOR)
    second = await login_as(Role.OPERATOR)
    admin = await login_as(Role.ADMIN)
    target = await staff_id(client, admin, "test_operator")
    ended = await client.post(f"/api/v1/staff/{target}/sessions/revoke", headers=admin)
    assert ended.status_code == 200 and ended.json() == {"sessions_ended": 2}
    for headers in (first, second):
        assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=await login_as(Role.OPERATOR))
            ).status_code == 200
    audit = (await client.get("/api/v1/audit", headers=admin,
                              params={"action": "staff.revoke_sessions"})).json()
    assert audit[0]["detail"] == {"sessions_ended": 2}
