"""Batch assignment of waiting scheduled visits through the API."""

from __future__ import annotations

from collections import Counter

import httpx

from accounts.roles import Role
from dispatch.notify import FakeNotifier, LoggingSmsSender
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.dispatch.conftest import AddProvider
from tests.dispatch.steps import create_order, open_offers

Channels = tuple[FakeNotifier, LoggingSmsSender]


async def test_batch_offers_each_visit_within_capacity(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    login_as: LoginAs,
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Four meal visits, room for three: three offered within capacity, one matched singly."""
    small = await add_provider("small", capacity=1, km_north=0.5)
    large = await add_provider("large", capacity=2, km_north=3)
    ids = [
        (
            await create_order(
                client, dispatcher, senior_id, service="meals", urgency="scheduled", batch=True
            )
        )["id"]
        for _ in range(4)
    ]
    assert (
        await create_order(
            client, dispatcher, senior_id, service="meals", urgency="scheduled", batch=True
        )
    )["state"] == "created"
    operator = await login_as(Role.OPERATOR)
    refused = await client.post("/api/v1/dispatch/batch", json={"order_ids": ids}, headers=operator)
    assert refused.status_code == 403
    response = await client.post(
        "/api/v1/dispatch/batch", json={"order_ids": ids}, headers=dispatcher
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert len(result["assigned"]) == 3 and len(result["unassigned"]) == 1
    assert Counter(result["assigned"].values()) == {small: 1, large: 2}
    for order_id, provider in result["assigned"].items():
        assert list(await open_offers(runtime, int(order_id))) == [provider]
    empty = await client.post("/api/v1/dispatch/batch", json={"order_ids": []}, headers=dispatcher)
    assert empty.status_code == 422
