"""Two app instances (separate ``anxin serve`` processes) on one PostgreSQL and one Mosquitto:
one live feed, one desk, and failover when the lease holder is SIGKILLed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import pytest
import websockets
from sqlalchemy import func, select

from alarms.models import Alarm
from benchmarks.ingest import Target, bench_broker
from benchmarks.instances import (
    ClusterConfig,
    Process,
    prepare_database,
    start_instance,
    until_ready,
)
from callcenter.routing.models import RoutingTask
from devices import credentials
from storage.engine import create_engine, create_sessionmaker
from tests.conftest import TEST_PASSWORD

Feed = websockets.ClientConnection


@dataclass(frozen=True)
class Cluster:
    a: Process
    b: Process
    broker: Target
    seniors: list[int]  # the senior of sos-00000, of sos-00001


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[tuple[Target, str]]:
    """A Mosquitto for the run; the service account's password is B's (B ingests)."""
    password = credentials.service_password(tmp_path / "b")
    with bench_broker(tmp_path, None, password) as target:
        yield target, password


@pytest.fixture
async def cluster(postgres_url: str, tmp_path: Path,
                  broker: tuple[Target, str]) -> AsyncIterator[Cluster]:
    """A (started first, so it holds the leases; no ingest) and B (ingests from the broker)."""
    target, service_password = broker
    seniors = await prepare_database(postgres_url, pendants=2, operators=["op1"],
                                     password=TEST_PASSWORD)
    config = ClusterConfig(postgres_url, tmp_path, lease_seconds=3.0)
    a = start_instance(config, "a", {"ANXIN_MQTT_ENABLED": "false"})
    b = None
    try:
        await until_ready(a, holding="routing_loop")
        b = start_instance(config, "b", {
            "ANXIN_MQTT_URL": f"mqtt://{credentials.SERVICE_USERNAME}:{service_password}"
                              f"@{target.host}:{target.port}"})
        await until_ready(b)
        yield Cluster(a, b, target, seniors)
    finally:
        for process in (a, b):
            if process is not None:
                process.stop()


async def _login(base: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.post("/api/v1/auth/login",
                                 json={"username": "op1", "password": TEST_PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def _sos(target: Target, device: str) -> None:
    username, password = target.publisher
    async with aiomqtt.Client(target.host, target.port, username=username,
                              password=password, identifier=f"test-{device}") as client:
        await client.publish(f"anxin/v1/devices/{device}/event", qos=1, payload=json.dumps(
            {"event_id": f"{device}-sos", "type": "sos",
             "ts": datetime.now(UTC).isoformat(), "detail": {}}))


async def _next(feed: Feed, topic: str, within: float = 30.0, **match: Any) -> dict[str, Any]:
    """The next update on ``topic`` whose data has the given values."""
    async with asyncio.timeout(within):
        while True:
            message: dict[str, Any] = json.loads(await feed.recv())
            data = message.get("data", {})
            if message.get("topic") == topic and all(data.get(k) == v for k, v in match.items()):
                return message


async def _alarm_of(database_url: str, device: str) -> tuple[int, int]:
    """The alarm raised for the pendant, and how many desk tasks it has."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            alarm_id = await session.scalar(select(Alarm.id).where(Alarm.device_id == device))
            tasks = await session.scalar(select(func.count()).select_from(RoutingTask).where(
                RoutingTask.ref == f"alarm:{alarm_id}"))
        return int(alarm_id or 0), int(tasks or 0)
    finally:
        await engine.dispose()


async def test_one_feed_one_desk_and_failover(cluster: Cluster, postgres_url: str) -> None:
    """An SOS ingested by B is raised and offered by A (the lease holder) and shows on B's
    feed, offered once; after A is SIGKILLed, B takes the leases and offers the next SOS."""
    a, b, target = cluster.a, cluster.b, cluster.broker
    headers = await _login(b.url)
    async with httpx.AsyncClient(base_url=b.url, headers=headers) as http:
        assert (await http.post("/api/v1/routing/me/state",
                                json={"state": "available"})).status_code == 200
    async with websockets.connect(b.url.replace("http", "ws") + "/api/v1/live",
                                  additional_headers=headers) as feed:
        assert json.loads(await feed.recv())["type"] == "snapshot"
        await _sos(target, "sos-00000")
        raised = await _next(feed, "alarm.raised", senior_id=cluster.seniors[0])
        offer = await _next(feed, "routing.offer", ref=f"alarm:{raised['data']['id']}")
        assert "op1" in offer["data"]["to"]
        with pytest.raises(TimeoutError):  # offered once: no second desk offers it again
            await _next(feed, "routing.offer", within=3.0, ref=offer["data"]["ref"])
        assert (await _alarm_of(postgres_url, "sos-00000"))[1] == 1

        a.kill()
        killed_at = time.monotonic()
        await _sos(target, "sos-00001")
        raised = await _next(feed, "alarm.raised", senior_id=cluster.seniors[1])
        offer = await _next(feed, "routing.offer", ref=f"alarm:{raised['data']['id']}")
        failover = time.monotonic() - killed_at
    assert "op1" in offer["data"]["to"]
    assert (await _alarm_of(postgres_url, "sos-00001"))[1] == 1
    print(f"failover to the first offer by the survivor: {failover:.1f} s")
