"""Commands from the operator to a connected watch, recorded with the watch's answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from accounts.roles import Role
from devices.lifespan import devices_of
from devices.models import DeviceCommand
from devices.mosquitto import MosquittoProcess
from devices.schemas import CommandRequest
from devices.watch.commands import COMMANDS
from devices.watch.gateway import WatchGateway
from devices.watch.uplink import Uplink
from runtime.context import Runtime
from seniors.models import Senior
from tests.devices.conftest import wait_for
from tests.devices.watch.conftest import WATCH_ID, Watch, gateway_port, login, registered_watch


@pytest.fixture
async def http(watch_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=watch_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as client:
        yield client


async def connected_watch(app: FastAPI, runtime: Runtime, broker: MosquittoProcess) -> Watch:
    """A registered watch that has connected and heard its setup (SOS number, interval)."""
    await registered_watch(app, broker)
    watch = await Watch.connect(gateway_port(runtime))
    await watch.send("LK")
    heard = [await watch.hear() for _ in range(3)]
    assert [f.content for f in heard if f] == [b"SOS,12349,,", b"UPLOAD,300", b"LK"]
    return watch


async def answer_like_a_watch(watch: Watch) -> list[bytes]:
    """Answer each command with its own type, as watches do; returns what was received."""
    received = []
    while (frame := await watch.hear(within=5)) is not None:
        received.append(frame.content)
        await watch.send(frame.type)
    return received


async def test_operator_locates_the_watch_and_the_answer_is_recorded(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess,
        http: httpx.AsyncClient) -> None:
    """An operator's "locate now" sends CR; the watch's CR answer is recorded as answered."""
    watch = await connected_watch(watch_app, watch_runtime, broker)
    answering = asyncio.create_task(answer_like_a_watch(watch))
    headers = await login(http, watch_runtime, Role.OPERATOR)
    answer = await http.post(f"/api/v1/devices/{WATCH_ID}/commands", headers=headers,
                             json={"command": "locate"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "answered" and answer.json()["answer"] == "CR"
    message = await http.post(f"/api/v1/devices/{WATCH_ID}/commands", headers=headers,
                              json={"command": "message", "text": "请回电"})
    assert message.json()["content"] == "MESSAGE,8BF756DE7535"
    listed = await http.get(f"/api/v1/devices/{WATCH_ID}/commands", headers=headers)
    assert [c["command"] for c in listed.json()] == ["message", "locate"]
    await watch.close()
    assert (await answering)[:2] == [b"CR", b"MESSAGE,8BF756DE7535"]


async def test_settings_need_a_supervisor_and_bad_arguments_change_nothing(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess,
        http: httpx.AsyncClient) -> None:
    """An operator may not change the report interval (403); a bad interval is a 422 naming
    it; neither is sent or recorded. A supervisor's valid one is."""
    watch = await connected_watch(watch_app, watch_runtime, broker)
    answering = asyncio.create_task(answer_like_a_watch(watch))
    operator = await login(http, watch_runtime, Role.OPERATOR)
    supervisor = await login(http, watch_runtime, Role.SUPERVISOR)
    url = f"/api/v1/devices/{WATCH_ID}/commands"
    refused = await http.post(url, headers=operator,
                              json={"command": "report_interval", "seconds": 60})
    assert refused.status_code == 403 and "may not send report_interval" in refused.text
    bad = await http.post(url, headers=supervisor,
                          json={"command": "report_interval", "seconds": 5})
    assert bad.status_code == 422 and "between 10 and 86400" in bad.text
    async with watch_runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DeviceCommand)) == 0
    done = await http.post(url, headers=supervisor,
                           json={"command": "report_interval", "seconds": 60})
    assert done.json()["outcome"] == "answered"
    await watch.close()
    assert await answering == [b"UPLOAD,60"]


async def test_a_watch_not_connected_is_recorded_as_such(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess,
        http: httpx.AsyncClient) -> None:
    """Locating a watch that has no connection says not_connected and sends nothing."""
    await registered_watch(watch_app, broker)
    headers = await login(http, watch_runtime, Role.OPERATOR)
    answer = await http.post(f"/api/v1/devices/{WATCH_ID}/commands", headers=headers,
                             json={"command": "locate"})
    assert answer.json()["outcome"] == "not_connected"


async def test_last_position_with_its_age_distance_and_link(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess,
        http: httpx.AsyncClient) -> None:
    """After a UD report the position answers coordinates, age, metres from home and a
    geo: link."""
    senior_id = await registered_watch(watch_app, broker)
    async with watch_runtime.sessions() as session:
        senior = await session.get(Senior, senior_id)
        assert senior is not None
        senior.latitude, senior.longitude = 39.9042, 116.4074
        await session.commit()
    watch = await Watch.connect(gateway_port(watch_runtime))
    at = watch_runtime.clock.now()
    await watch.send(f"UD,{at:%d%m%y},{at:%H%M%S},A,39.913818,N,116.363625,E,0.00,0,50,8,80,"
                     "77,1200,0,00000000,0,0")
    headers = await login(http, watch_runtime, Role.OPERATOR)
    url = f"/api/v1/devices/{WATCH_ID}/position"

    async def reported() -> bool:
        return (await http.get(url, headers=headers)).status_code == 200

    await wait_for(reported)
    found = (await http.get(url, headers=headers)).json()
    assert (found["latitude"], found["longitude"]) == (39.913818, 116.363625)
    assert found["age_seconds"] == 0 and 3_500 < found["meters_from_home"] < 4_100
    assert found["link"] == "geo:39.913818,116.363625"
    await watch.close()


@pytest.fixture
async def second_gateway(watch_runtime: Runtime) -> AsyncIterator[WatchGateway]:
    """Another process's gateway (a second instance, or ``anxin devices watch-gateway``) on
    the same broker and database."""
    gateway = WatchGateway(sessions=watch_runtime.sessions, clock=watch_runtime.clock,
                           uplink=Uplink(devices_of(watch_runtime).address,
                                         client_id="anxin-watch-gateway-b"),
                           host="127.0.0.1", port=0, ack_timeout=2.0,
                           setup=("SOS,12349,,", "UPLOAD,300"))
    serving = asyncio.create_task(gateway.run())

    async def up() -> bool:
        return gateway.listening.is_set() and gateway.uplink.connected.is_set()

    await wait_for(up)
    yield gateway
    serving.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await serving


async def test_a_watch_held_by_another_gateway_gets_the_command(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess,
        http: httpx.AsyncClient, second_gateway: WatchGateway) -> None:
    """A watch connected to another instance's gateway still gets "locate now" from an
    operator whose request reached this instance, and its answer is recorded."""
    await registered_watch(watch_app, broker)
    watch = await Watch.connect(second_gateway.port)
    await watch.send("LK")
    assert [(await watch.hear()) is not None for _ in range(3)] == [True] * 3
    answering = asyncio.create_task(answer_like_a_watch(watch))
    headers = await login(http, watch_runtime, Role.OPERATOR)
    answer = await http.post(f"/api/v1/devices/{WATCH_ID}/commands", headers=headers,
                             json={"command": "locate"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["outcome"], answer.json()["answer"]) == ("answered", "CR")
    await watch.close()
    assert await answering == [b"CR"]


async def test_a_watch_that_stays_silent_on_another_gateway_is_no_answer(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess,
        http: httpx.AsyncClient, second_gateway: WatchGateway) -> None:
    """A watch another gateway holds but that does not answer is recorded as sent with no
    answer, not as not connected."""
    await registered_watch(watch_app, broker)
    watch = await Watch.connect(second_gateway.port)
    await watch.send("LK")
    assert [(await watch.hear()) is not None for _ in range(3)] == [True] * 3
    headers = await login(http, watch_runtime, Role.OPERATOR)
    answer = await http.post(f"/api/v1/devices/{WATCH_ID}/commands", headers=headers,
                             json={"command": "find"})
    assert answer.json()["outcome"] == "no_answer"
    frame = await watch.hear(within=1)
    assert frame is not None and frame.content == b"FIND"
    await watch.close()


def test_a_medication_reminder_rings_every_day() -> None:
    """Reminder times are sent switched on and repeating daily (repeat 2), not once."""
    request = CommandRequest(command="remind", times=["08:00", "20:30"])
    assert COMMANDS["remind"].content(request) == "REMIND,08:00-1-2,20:30-1-2"
