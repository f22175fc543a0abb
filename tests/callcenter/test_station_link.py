"""A border station that loses its link (issue 20 item 4): the platform takes over its alarms
during the outage. The station's browser runs in a network namespace behind a veth pair; the
link is really cut (``ip link set … down``), so the platform hears nothing, not even a
goodbye: its feed ping goes unanswered, the station counts as having nobody on duty, and its
senior's SOS reaches the league centre's operator. With the link back, the station's feed
resumes from its last event number and shows the alarm handled for it by the league."""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from fastapi import FastAPI

from accounts.roles import Role
from alarms import flows as alarm_flows
from areas import demo as areas_demo
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.areas.conftest import add_staff, login, resident_id
from tests.conftest import uvicorn_running

CLIENT = Path(__file__).with_name("station_client.py")
PING_SECONDS = 0.5  # the platform's feed ping (ANXIN_LIVE_PING_SECONDS in production)
# A bound on how long anything here may take, so that a failure fails instead of hanging.
PATIENCE_SECONDS = 60


@dataclass(frozen=True)
class Link:
    """A namespace for the station and the veth pair to it; the host's end at ``host_ip``."""

    namespace: str
    host_end: str
    host_ip: str


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def link() -> Iterator[Link]:
    """A fresh namespace and veth pair on a random 10.231.x.y/30; removed afterwards."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("cutting a link needs root and iproute2 (ip netns, veth)")
    suffix = secrets.token_hex(3)
    namespace, host_end, station_end = f"anxin-{suffix}", f"axh{suffix}", f"axn{suffix}"
    base = f"10.231.{random.randrange(256)}"
    last = random.randrange(0, 256, 4)
    host_ip, station_ip = f"{base}.{last + 1}", f"{base}.{last + 2}"
    try:
        _ip("netns", "add", namespace)
    except subprocess.CalledProcessError as error:
        pytest.skip(f"network namespaces are not available here: {error.stderr.strip()}")
    try:
        _ip("link", "add", host_end, "type", "veth", "peer", "name", station_end,
            "netns", namespace)
        _ip("addr", "add", f"{host_ip}/30", "dev", host_end)
        _ip("link", "set", host_end, "up")
        for command in (("addr", "add", f"{station_ip}/30", "dev", station_end),
                        ("link", "set", station_end, "up"), ("link", "set", "lo", "up")):
            _ip("netns", "exec", namespace, "ip", *command)
        yield Link(namespace, host_end, host_ip)
    finally:
        subprocess.run(["ip", "link", "del", host_end], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)


async def _set_link(link: Link, state: str) -> None:
    process = await asyncio.create_subprocess_exec("ip", "link", "set", link.host_end, state)
    assert await process.wait() == 0


@dataclass
class Platform:
    app: FastAPI
    port: int

    @property
    def runtime(self) -> Runtime:
        value: Runtime = self.app.state.runtime
        return value


@pytest.fixture
async def platform(settings: Settings, clock: ManualClock, link: Link
                   ) -> AsyncIterator[Platform]:
    """The app on loopback (the league centre's side) and on the veth's host end (the
    station's only way in), pinging each feed every half second."""
    app = create_app(settings.model_copy(update={"presence_grace_seconds": 0.2}), clock=clock)
    loopback = socket.socket()
    loopback.bind(("127.0.0.1", 0))
    port = loopback.getsockname()[1]
    station_side = socket.socket()
    station_side.bind((link.host_ip, port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                           ws_ping_interval=PING_SECONDS,
                                           ws_ping_timeout=PING_SECONDS))
    async with uvicorn_running(server, sockets=[loopback, station_side]):
        yield Platform(app, port)


async def _erenhot_senior(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        await areas_demo.seed_centres(session)
        senior = await seniors_service.create_senior(session, now=runtime.clock.now(),
                                                     data=SeniorCreate(
            name="二连浩特老人", resident_id=resident_id("152501", 9), sex="female",
            address="二连浩特市前进路1号", district="二连浩特市", phones=["13900009999"]))
        await session.commit()
    return senior.id


async def _lines(process: asyncio.subprocess.Process) -> AsyncIterator[dict[str, Any]]:
    assert process.stdout is not None
    while line := await process.stdout.readline():
        yield json.loads(line)


async def _until(messages: AsyncIterator[dict[str, Any]], wanted: Any) -> dict[str, Any]:
    async with asyncio.timeout(PATIENCE_SECONDS):
        async for message in messages:
            if wanted(message):
                return message
    raise AssertionError("the station's client stopped before the message came")


def _topic(message: dict[str, Any], topic: str, **data: object) -> bool:
    return message.get("topic") == topic and all(
        message["data"].get(key) == value for key, value in data.items())


async def test_a_station_cut_off_has_its_sos_taken_by_the_league_and_catches_up(
        platform: Platform, link: Link, clock: ManualClock) -> None:
    """Cut off, Erenhot's SOS rings the Xilingol league operator, who takes it; with the
    link back the station's feed resumes (no snapshot) with the alarm raised and taken, and
    the alarm reads as handled by the league for Erenhot, over the station's own link; the
    station's operator is back on the queue, and its next alarm rings the station."""
    runtime = platform.runtime
    senior_id = await _erenhot_senior(runtime)
    await add_staff(runtime, "erenhot_op", Role.OPERATOR, ("erenhot",))
    await add_staff(runtime, "xilingol_op", Role.OPERATOR, ("xilingol",))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{platform.port}") as http:
        station, league = await login(http, "erenhot_op"), await login(http, "xilingol_op")
        for headers in (station, league):
            went = await http.post("/api/v1/routing/me/state", json={"state": "available"},
                                   headers=headers)
            assert went.status_code == 200, went.text
        station_url = f"ws://{link.host_ip}:{platform.port}/api/v1/live"
        client = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", link.namespace, sys.executable, str(CLIENT), station_url,
            station["Authorization"].removeprefix("Bearer "), stdout=asyncio.subprocess.PIPE)
        try:
            messages = _lines(client)
            await _until(messages, lambda m: m["type"] == "snapshot")
            async with websockets.connect(f"ws://127.0.0.1:{platform.port}/api/v1/live",
                                          additional_headers=league) as league_feed:
                assert json.loads(await league_feed.recv())["type"] == "snapshot"
                await _set_link(link, "down")
                raised = await alarm_flows.raise_and_announce(
                    runtime, senior_id=senior_id, kind="sos", at=clock.now())
                ref = f"alarm:{raised.alarm.id}"
                async with asyncio.timeout(PATIENCE_SECONDS):
                    while True:
                        offer = json.loads(await league_feed.recv())
                        if _topic(offer, "routing.offer", ref=ref) and \
                                "xilingol_op" in offer["data"]["to"]:
                            break
                taken = await http.post(
                    f"/api/v1/routing/tasks/{offer['data']['task_id']}/accept", headers=league)
                assert taken.status_code == 200, taken.text
            await _until(messages, lambda m: m["type"] == "lost")
            await _set_link(link, "up")
            resumed = await _until(messages, lambda m: m["type"] in ("resume", "snapshot"))
            assert resumed["type"] == "resume"
            await _until(messages, lambda m: _topic(m, "alarm.raised", id=raised.alarm.id))
            acknowledged = await _until(
                messages, lambda m: _topic(m, "alarm.acknowledged", id=raised.alarm.id))
            record = await _fetch_in(link, f"http://{link.host_ip}:{platform.port}"
                                     f"/api/v1/alarms/{raised.alarm.id}", station)
            # Back on the queue: the station's next alarm rings the station again.
            later = await alarm_flows.raise_and_announce(
                runtime, senior_id=senior_id, kind="smoke", at=clock.now())
            home = await _until(messages, lambda m: _topic(m, "routing.offer",
                                                           ref=f"alarm:{later.alarm.id}"))
        finally:
            client.kill()
            await client.wait()
    handled = {"by_zh": "锡林郭勒盟12349养老服务中心", "by_en": "Xilingol League 12349 centre",
               "for_zh": "二连浩特市12349服务站", "for_en": "Erenhot 12349 station"}
    assert acknowledged["data"]["by"] == "xilingol_op"
    assert acknowledged["data"]["handled_for"] == handled
    assert record["handled_for"] == handled and record["state"] == "acknowledged"
    assert home["data"]["to"] == ["erenhot_op"]


async def _fetch_in(link: Link, url: str, headers: dict[str, str]) -> Any:
    """GET ``url`` from inside the station's namespace (over the restored link)."""
    fetch = ("import httpx, json, sys; "
             "print(httpx.get(sys.argv[1], headers=json.loads(sys.argv[2])).text)")
    process = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", link.namespace, sys.executable, "-c", fetch, url,
        json.dumps(headers), stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    assert process.returncode == 0
    return json.loads(out)
