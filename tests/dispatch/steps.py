"""Small steps the dispatch tests share: create an order, read offers, act as a provider."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from dispatch.models import Offer
from runtime.context import Runtime
from tests.dispatch.conftest import link_for


async def create_order(
    client: httpx.AsyncClient, headers: dict[str, str], senior_id: int, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"senior_id": senior_id, "service": "cleaning", "urgency": "same_day"}
    body.update(overrides)
    response = await client.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def open_offers(runtime: Runtime, order_id: int) -> dict[int, str]:
    """provider id → offer token, for the offers still open on the order."""
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(Offer).where(Offer.order_id == order_id, Offer.state == "offered")
        )
        return {o.provider_id: o.token for o in rows}


async def act(
    client: httpx.AsyncClient,
    runtime: Runtime,
    *,
    provider_id: int,
    order_id: int,
    action: str,
    token: str = "",
    note: str = "",
) -> httpx.Response:
    link = link_for(runtime, provider_id=provider_id, order_id=order_id)
    return await client.post(
        f"/p/{link}/actions", json={"action": action, "offer_token": token, "note": note}
    )


async def order_of(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: int
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/orders/{order_id}", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def timeline(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: int
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/orders/{order_id}/timeline", headers=headers)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


async def accept_first(client: httpx.AsyncClient, runtime: Runtime, order_id: int) -> int:
    """The first open offer is accepted; returns the provider's id."""
    offers = await open_offers(runtime, order_id)
    provider_id, token = next(iter(offers.items()))
    response = await act(
        client, runtime, provider_id=provider_id, order_id=order_id, action="accept", token=token
    )
    assert response.status_code == 200, response.text
    return provider_id
