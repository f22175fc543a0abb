"""The live feed is scoped by role and by session (issue 14, item 7), over a real WebSocket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from accounts.roles import Role
from callcenter.lifespan import callcenter_of
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from tests.conftest import LiveServer, serve
from tests.dashboard.test_live import add_senior, receive, token_for, ws_url
from tests.seniors.test_api import senior_body

CALLER = "+8613804710001"


@pytest.fixture
async def server(settings: Settings, clock: ManualClock) -> AsyncIterator[LiveServer]:
    quick = settings.model_copy(update={"live_session_check_seconds": 0.2})
    async for running in serve(create_app(quick, clock=clock)):
        yield running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(server: LiveServer, path: str, token: str, body: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(path, json=body, headers=bearer(token))
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


async def updates_until(ws: ClientConnection, topic: str) -> list[dict[str, Any]]:
    """Every update up to and including the first one on ``topic`` (a marker sent last)."""
    seen = []
    while True:
        message = await receive(ws)
        seen.append(message)
        if message.get("topic") == topic:
            return seen


async def ring_and_text(server: LiveServer, operator: str) -> None:
    """A caller dials 12349 from a known number; a provider is texted a signed link."""
    await post(server, "/telephony/simulator/calls", operator, {"from_number": CALLER})
    await callcenter_of(server.runtime).provider.send_sms(
        to="+8613900000009", body="新订单 #1，请回复：http://127.0.0.1:1/p/signed.token-value")


async def test_subsidy_staff_never_hear_calls_or_texts(server: LiveServer) -> None:
    """Subsidy staff get no phone.* or call.* update and no alarms or calls in the snapshot."""
    operator = await token_for(server, Role.OPERATOR)
    subsidy = await token_for(server, Role.SUBSIDY_STAFF)
    async with websockets.connect(ws_url(server), additional_headers=bearer(subsidy)) as ws:
        snapshot = await receive(ws)
        await ring_and_text(server, operator)
        await add_senior(server, operator, 1)
        seen = await updates_until(ws, "senior.created")
    assert [m["topic"] for m in seen] == ["senior.created"]
    assert {"alarms", "calls"}.isdisjoint(snapshot["data"])
    assert "phone.sms" not in snapshot["data"]["server"]["topics"]
    assert "liveness.decision" in snapshot["data"]["server"]["topics"]


async def test_operators_see_texts_without_their_links(server: LiveServer) -> None:
    """The phone page still shows a text, but a signed link in it never goes on the feed."""
    operator = await token_for(server, Role.OPERATOR)
    async with websockets.connect(ws_url(server), additional_headers=bearer(operator)) as ws:
        await receive(ws)
        await ring_and_text(server, operator)
        seen = await updates_until(ws, "phone.sms")
    text = seen[-1]["data"]
    assert text["number"] == "+8613900000009" and "新订单 #1" in text["body"]
    assert "signed.token-value" not in text["body"] and "http" not in text["body"]


async def test_dispatchers_get_orders_but_no_caller_numbers(server: LiveServer) -> None:
    """A dispatcher hears the order board, never a call with the caller's number."""
    operator = await token_for(server, Role.OPERATOR)
    dispatcher = await token_for(server, Role.DISPATCHER)
    senior = await post(server, "/api/v1/seniors", operator, senior_body(phones=[CALLER]))
    await server.runtime.bus.settled()  # the senior's event belongs before the snapshot
    async with websockets.connect(ws_url(server), additional_headers=bearer(dispatcher)) as ws:
        snapshot = await receive(ws)
        await ring_and_text(server, operator)
        order = await post(server, "/api/v1/orders", dispatcher,
                           {"senior_id": senior["id"], "service": "cleaning",
                            "urgency": "same_day"})
        seen = await updates_until(ws, "order.changed")
    assert seen[-1]["data"]["id"] == order["id"]
    assert {m["topic"] for m in seen} <= {"order.changed", "dispatch.alert"}
    assert CALLER not in repr(seen) and "calls" not in snapshot["data"]


async def _closed_code(ws: ClientConnection) -> int | None:
    """The code the server closed with (a feed left open fails the test after 10 s)."""
    async with asyncio.timeout(10):
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _drain(ws)
    return closed.value.rcvd.code if closed.value.rcvd else None


async def _drain(ws: ClientConnection) -> None:
    while True:
        await ws.recv()


async def test_logout_closes_an_open_feed(settings: Settings, clock: ManualClock) -> None:
    """Logging out ends the user's open feed with 4401 at once, not at the next check."""
    hourly = settings.model_copy(update={"live_session_check_seconds": 3600.0})
    async for server in serve(create_app(hourly, clock=clock)):
        token = await token_for(server, Role.SUPERVISOR)
        async with websockets.connect(ws_url(server), additional_headers=bearer(token)) as ws:
            await receive(ws)
            await post(server, "/api/v1/auth/logout", token, {})
            assert await _closed_code(ws) == 4401


async def test_expired_session_closes_the_feed(server: LiveServer, clock: ManualClock) -> None:
    """A feed whose session runs out is closed with 4401 at the next check."""
    token = await token_for(server, Role.OPERATOR)
    async with websockets.connect(ws_url(server), additional_headers=bearer(token)) as ws:
        await receive(ws)
        clock.advance((server.runtime.settings.session_hours + 1) * 3600)
        assert await _closed_code(ws) == 4401
