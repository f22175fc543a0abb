"""A raised alarm reaches a connected dashboard over the live feed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets

from accounts.roles import Role
from alarms import flows
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.conftest import LiveServer, serve
from tests.dashboard.test_live import token_for
from tests.seniors.test_api import senior_body


@pytest.fixture
async def server(settings: Settings, clock: ManualClock) -> AsyncIterator[LiveServer]:
    """The whole app with its background loops running on the manual clock."""
    with_loops = settings.model_copy(update={"run_background_tasks": True})
    async for running in serve(create_app(with_loops, clock=clock)):
        yield running


async def test_alarm_reaches_the_live_feed_and_the_snapshot(server: LiveServer) -> None:
    """An SOS appears as an update to a connected operator and in a later snapshot."""
    runtime = server.runtime
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
        await session.commit()
    headers = {"Authorization": f"Bearer {await token_for(server, Role.OPERATOR)}"}
    url = f"ws://127.0.0.1:{server.port}/api/v1/live"
    async with websockets.connect(url, additional_headers=headers) as ws:
        snapshot = json.loads(await ws.recv())
        assert snapshot["data"]["alarms"]["open"] == []
        await flows.raise_and_announce(runtime, senior_id=senior.id, kind="sos",
                                       at=runtime.clock.now(), device_id="pendant-7")
        update = json.loads(await ws.recv())
    assert update["topic"] == "alarm.raised"
    assert update["data"]["senior_name"] == "王秀英"
    assert update["data"]["priority"] == 1
    async with websockets.connect(url, additional_headers=headers) as ws:
        again = json.loads(await ws.recv())
    assert [a["kind"] for a in again["data"]["alarms"]["open"]] == ["sos"]


async def test_unanswered_sos_re_alerts_through_the_running_loop(server: LiveServer,
                                                                 clock: ManualClock) -> None:
    """With the app's own escalation loop running, 21 s without an answer re-alerts."""
    runtime = server.runtime
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
        await session.commit()
    headers = {"Authorization": f"Bearer {await token_for(server, Role.OPERATOR)}"}
    url = f"ws://127.0.0.1:{server.port}/api/v1/live"
    async with websockets.connect(url, additional_headers=headers) as ws:
        await ws.recv()
        await flows.raise_and_announce(runtime, senior_id=senior.id, kind="sos",
                                       at=runtime.clock.now())
        assert json.loads(await ws.recv())["topic"] == "alarm.raised"
        clock.advance(21)
        escalated = await asyncio.wait_for(_next_with_topic(ws, "alarm.escalated"), timeout=10)
    assert escalated["data"]["level"] == 1


async def _next_with_topic(ws: Any, topic: str) -> dict[str, Any]:
    """The next feed message about ``topic``, past others (the call-back case of the SOS)."""
    while True:
        message: dict[str, Any] = json.loads(await ws.recv())
        if message["topic"] == topic:
            return message
