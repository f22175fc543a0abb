"""The live feed over a real WebSocket: snapshot, numbered updates, resume after a reconnect."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from accounts.roles import Role
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from tests.conftest import TEST_PASSWORD, LiveServer, serve
from tests.seniors.test_api import senior_body


@pytest.fixture
async def server(settings: Settings, clock: ManualClock) -> AsyncIterator[LiveServer]:
    async for running in serve(create_app(settings, clock=clock)):
        yield running


async def token_for(server: LiveServer, role: Role) -> str:
    from accounts import service

    runtime = server.runtime
    async with runtime.sessions() as session:
        await service.create_user(session, username=f"ws_{role.value}", display_name="ws",
                                  role=role, password=TEST_PASSWORD, now=runtime.clock.now())
        await session.commit()
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/v1/auth/login", json={"username": f"ws_{role.value}",
                                                               "password": TEST_PASSWORD})
        token: str = response.json()["access_token"]
        return token


def ws_url(server: LiveServer, query: str = "") -> str:
    return f"ws://127.0.0.1:{server.port}/api/v1/live{query}"


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await ws.recv(decode=True))
    return message


async def add_senior(server: LiveServer, token: str, number: int) -> None:
    from seniors.identity import check_digit

    first17 = f"15010219450302{number:03d}"
    body = senior_body(name=f"老人{number}", resident_id=first17 + check_digit(first17),
                       phones=[], contacts=[])
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/v1/seniors", json=body,
                                   headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text


async def test_snapshot_then_updates_in_order(server: LiveServer) -> None:
    """A new connection gets a snapshot, then each change as a numbered update."""
    token = await token_for(server, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(ws_url(server), additional_headers=headers) as ws:
        snapshot = await receive(ws)
        assert snapshot["type"] == "snapshot"
        assert snapshot["data"]["seniors"] == {"active": 0}
        await add_senior(server, token, 1)
        await add_senior(server, token, 2)
        first, second = await receive(ws), await receive(ws)
    assert [first["topic"], second["topic"]] == ["senior.created", "senior.created"]
    assert second["seq"] == first["seq"] + 1 > snapshot["seq"]
    assert second["data"]["summary"] == "老人2"


async def test_reconnect_resumes_with_what_was_missed(server: LiveServer) -> None:
    """Disconnect, miss three updates, reconnect with the last number: get exactly those three."""
    token = await token_for(server, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(ws_url(server), additional_headers=headers) as ws:
        snapshot = await receive(ws)
        await add_senior(server, token, 1)
        last = await receive(ws)
    for number in (2, 3, 4):
        await add_senior(server, token, number)
    await server.runtime.bus.settled()  # all three reached the log before the reconnect
    query = f"?epoch={snapshot['epoch']}&since={last['seq']}"
    async with websockets.connect(ws_url(server, query), additional_headers=headers) as ws:
        resume = await receive(ws)
        missed = [await receive(ws) for _ in range(3)]
        await add_senior(server, token, 5)
        live = await receive(ws)
    assert resume["type"] == "resume" and resume["replayed"] == 3
    assert [m["data"]["summary"] for m in missed] == ["老人2", "老人3", "老人4"]
    assert [m["seq"] for m in missed] == [last["seq"] + 1, last["seq"] + 2, last["seq"] + 3]
    assert live["seq"] == missed[-1]["seq"] + 1


async def test_unknown_epoch_gets_a_fresh_snapshot(server: LiveServer) -> None:
    """A number from before a server restart cannot be trusted: the client gets a snapshot."""
    token = await token_for(server, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(ws_url(server, "?epoch=stale&since=3"),
                                  additional_headers=headers) as ws:
        assert (await receive(ws))["type"] == "snapshot"


async def test_strangers_are_turned_away(server: LiveServer) -> None:
    """Without a valid session the socket is closed with code 4401."""
    for headers in ({}, {"Authorization": "Bearer nope"}):
        async with websockets.connect(ws_url(server), additional_headers=headers) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_updates_respect_roles(server: LiveServer) -> None:
    """An event meant for supervisors is not sent to an operator."""
    token = await token_for(server, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(ws_url(server), additional_headers=headers) as ws:
        await receive(ws)
        server.runtime.bus.publish("supervisor.alert", {"summary": "secret"},
                                   roles={"supervisor"})
        server.runtime.bus.publish("operators", {"summary": "hello"}, roles={"operator"})
        message = await receive(ws)
    assert message["topic"] == "operators"
