"""The live feed per area, over a real WebSocket: for every topic in the audience table
(derived, so a topic added later is covered), a station's supervisor hears events about its
own senior and none about the sibling station's, whether the publisher names the area or
only the senior; the snapshot counts only the station's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from accounts.audiences import TOPIC_AUDIENCES
from accounts.roles import ALL_ROLES
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from tests.areas.conftest import Station, World, build_world
from tests.conftest import LiveServer, serve
from tests.dashboard.test_live import receive, ws_url

EVERY_ROLE = frozenset(role.value for role in ALL_ROLES)
END = "feed.end"


@pytest.fixture
async def server(settings: Settings, clock: ManualClock) -> AsyncIterator[LiveServer]:
    async for running in serve(create_app(settings, clock=clock)):
        yield running


@pytest.fixture
async def live_world(server: LiveServer) -> World:
    async with httpx.AsyncClient(base_url=server.url) as client:
        return await build_world(server.runtime, client)


def publish_about(server: LiveServer, station: Station, area: str) -> None:
    """Every topic twice: once naming the area, once naming only the senior."""
    bus = server.runtime.bus
    for topic in sorted(TOPIC_AUDIENCES):
        bus.publish(topic, {"probe": station.slug, "how": "area"}, roles=EVERY_ROLE, area=area)
        bus.publish(topic, {"probe": station.slug, "how": "senior",
                            "senior_id": station.senior_id}, roles=EVERY_ROLE)


async def heard_until_end(ws: Any) -> list[tuple[str, str, str]]:
    heard: list[tuple[str, str, str]] = []
    while True:
        message = await receive(ws)
        if message.get("topic") == END:
            return heard
        data = message.get("data", {})
        if message.get("type") == "update" and "probe" in data:
            heard.append((message["topic"], data["probe"], data["how"]))


async def test_every_topic_reaches_only_its_station(server: LiveServer,
                                                   live_world: World) -> None:
    """Erenhot's supervisor hears every topic about Erenhot, nothing about Manzhouli."""
    erenhot, manzhouli = live_world.erenhot, live_world.manzhouli
    async with websockets.connect(ws_url(server), additional_headers=erenhot.supervisor) as ws:
        snapshot = await receive(ws)
        publish_about(server, manzhouli, "150781")
        publish_about(server, erenhot, "152501")
        server.runtime.bus.publish(END, {}, roles=EVERY_ROLE)
        heard = await heard_until_end(ws)
    expected = [(topic, "erenhot", how) for topic in sorted(TOPIC_AUDIENCES)
                for how in ("area", "senior")]
    assert heard == expected
    assert snapshot["data"]["seniors"]["active"] == 1
    assert [a["id"] for a in snapshot["data"]["alarms"]["open"]] == [erenhot.alarm_id]
