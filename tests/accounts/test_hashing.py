"""Password hashing runs beside the event loop: a flood of log-ins does not stall the server."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from accounts.passwords import DUMMY_HASH, verify_password
from config.settings import Settings
from dashboard.app import create_app
from tests.conftest import LiveServer, serve

LOGINS = 16


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[LiveServer]:
    """A real server that lets the whole flood through its per-address rate limit."""
    roomy = settings.model_copy(update={"login_rate_burst": 100})
    async for live in serve(create_app(roomy)):
        yield live


async def test_healthz_answers_while_logins_are_hashing(server: LiveServer) -> None:
    """With 16 bad log-ins pending, /healthz keeps answering in less than half a hash."""
    started = time.perf_counter()
    await asyncio.to_thread(verify_password, DUMMY_HASH, "a guess")
    one_hash = time.perf_counter() - started
    limits = httpx.Limits(max_connections=LOGINS + 2)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120) as http:
        logins = [asyncio.create_task(http.post("/api/v1/auth/login", json={
            "username": f"guess{i}", "password": "wrong"})) for i in range(LOGINS)]
        round_trips = []
        while not all(task.done() for task in logins):
            probe = time.perf_counter()
            assert (await http.get("/healthz")).status_code == 200
            if not all(task.done() for task in logins):
                round_trips.append(time.perf_counter() - probe)
        answers = await asyncio.gather(*logins)
    assert {answer.status_code for answer in answers} == {401}
    assert len(round_trips) >= 3  # healthz answered again and again while logins waited
    assert statistics.median(round_trips) < one_hash / 2
