"""A senior with contacts, a raised SOS, and log-ins for several operators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from accounts import service as accounts_service
from accounts.roles import Role
from alarms import service as alarms_service
from runtime.context import Runtime
from tests.callcenter.conftest import senior_id  # noqa: F401 (the shared senior fixture)
from tests.conftest import TEST_PASSWORD

LoginNamed = Callable[[str, Role], Awaitable[dict[str, str]]]


@pytest.fixture
def login_named(runtime: Runtime, client: httpx.AsyncClient) -> LoginNamed:
    """Log in as a staff user with this name and role (created on first use)."""

    async def login(username: str, role: Role) -> dict[str, str]:
        async with runtime.sessions() as session:
            if await accounts_service.get_user_by_username(session, username) is None:
                await accounts_service.create_user(
                    session, username=username, display_name=username, role=role,
                    password=TEST_PASSWORD, now=runtime.clock.now())
                await session.commit()
        response = await client.post("/api/v1/auth/login",
                                     json={"username": username, "password": TEST_PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return login


async def raise_alarm(runtime: Runtime, senior: int, kind: str = "sos") -> int:
    async with runtime.sessions() as session:
        result = await alarms_service.raise_alarm(session, senior_id=senior, kind=kind,
                                                  at=runtime.clock.now())
        await session.commit()
        return result.alarm.id
