"""Ratings and complaints reach the provider's KPIs and, through them, the next match."""

from __future__ import annotations

import httpx

from accounts.roles import Role
from dispatch.notify import FakeNotifier, LoggingSmsSender
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.dispatch.conftest import AddProvider
from tests.dispatch.steps import act, create_order, open_offers

Channels = tuple[FakeNotifier, LoggingSmsSender]


async def test_a_poorly_rated_provider_with_complaints_loses_the_next_order(
    client: httpx.AsyncClient,
    runtime: Runtime,
    login_as: LoginAs,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """The nearest provider does a job, gets one star and two complaints on the follow-up
    call; the senior's next order goes to the provider a little farther away."""
    nearest = await add_provider("nearest", km_north=0.5)
    other = await add_provider("other", km_north=1.0)
    first = await create_order(client, dispatcher, senior_id)
    token = (await open_offers(runtime, first["id"]))[nearest]
    for action in ("accept", "arrive", "complete"):
        response = await act(
            client, runtime, provider_id=nearest, order_id=first["id"], action=action, token=token
        )
        assert response.status_code == 200, response.text
    operator = await login_as(Role.OPERATOR)
    rated = await client.post(
        f"/api/v1/orders/{first['id']}/rating",
        json={"stars": 1, "comment": "态度差"},
        headers=operator,
    )
    assert rated.status_code == 200 and rated.json()["state"] == "rated"
    for text in ("迟到", "没打扫厨房"):
        complaint = await client.post(
            f"/api/v1/orders/{first['id']}/complaints", json={"text": text}, headers=operator
        )
        assert complaint.status_code == 201
    kpis = (await client.get(f"/api/v1/providers/{nearest}/kpis", headers=operator)).json()
    assert (kpis["rating"], kpis["complaints"], kpis["completion_rate"]) == (1.0, 2, 1.0)
    second = await create_order(client, dispatcher, senior_id)
    assert list(await open_offers(runtime, second["id"])) == [other]
