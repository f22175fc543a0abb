"""Fixtures for dispatch: a senior in 新城区, providers around them, links and helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from accounts.roles import Role
from dispatch.flows import dispatch_of
from dispatch.notify import FakeNotifier, LoggingSmsSender
from dispatch.signing import ProviderLink, sign_link
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body

# The senior lives near 新城区's centre; providers sit a few hundred metres to kilometres away.
SENIOR_AT = (40.858, 111.665)


@pytest.fixture
def channels(runtime: Runtime) -> tuple[FakeNotifier, LoggingSmsSender]:
    """Provider channels swapped for the in-repo fakes (the outer seam)."""
    webhook, sms = FakeNotifier(), LoggingSmsSender()
    dispatch_of(runtime).webhook, dispatch_of(runtime).sms = webhook, sms
    return webhook, sms


@pytest.fixture
async def dispatcher(login_as: LoginAs) -> dict[str, str]:
    return await login_as(Role.DISPATCHER)


@pytest.fixture
async def senior_id(client: httpx.AsyncClient, login_as: LoginAs) -> int:
    headers = await login_as(Role.OPERATOR)
    body = senior_body(
        latitude=SENIOR_AT[0],
        longitude=SENIOR_AT[1],
        subsidy_categories=["old_age_allowance", "disability"],
    )
    response = await client.post("/api/v1/seniors", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


AddProvider = Callable[..., Awaitable[int]]


@pytest.fixture
def add_provider(client: httpx.AsyncClient, dispatcher: dict[str, str]) -> AddProvider:
    """Register a provider that works all day in 新城区, ``km_north`` from the senior."""

    async def add(name: str, *, km_north: float = 1.0, **overrides: Any) -> int:
        body: dict[str, Any] = {
            "name": name,
            "phone": "13800000000",
            "services": ["cleaning", "meals", "bathing"],
            "certifications": ["care_worker"],
            "districts": ["新城区"],
            "work_start_minute": 0,
            "work_end_minute": 0,
            "capacity": 2,
            "channel": "sms",
            "latitude": SENIOR_AT[0] + km_north / 111.0,
            "longitude": SENIOR_AT[1],
        }
        body.update(overrides)
        response = await client.post("/api/v1/providers", json=body, headers=dispatcher)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    return add


def link_for(runtime: Runtime, *, provider_id: int, order_id: int, hours: float = 1.0) -> str:
    link = ProviderLink(provider_id, order_id, runtime.clock.now() + timedelta(hours=hours))
    return sign_link(link, key=dispatch_of(runtime).policy.link_key)
