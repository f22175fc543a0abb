"""One request to a gateway's HTTP API, with its transport trouble translated once: no
answer, a 5xx or a body that is not JSON are temporary ``GatewayError``s (worth a retry)."""

from __future__ import annotations

from typing import Any

import httpx

from messaging.port import GatewayError


async def call_gateway(client: httpx.AsyncClient, method: str, url: str, *, who: str,
                       **request: Any) -> Any:
    """The gateway's JSON answer (its own refusals are for the caller to read)."""
    try:
        response = await client.request(method, url, **request)
    except httpx.TransportError as error:
        raise GatewayError(f"{who} unreachable: {error!r}", temporary=True) from error
    if response.status_code >= 500:
        raise GatewayError(f"{who} answered {response.status_code}", temporary=True)
    try:
        return response.json()
    except ValueError as error:
        raise GatewayError(f"{who} answered no JSON", temporary=True) from error
