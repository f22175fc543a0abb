"""A watch on a real TCP socket, and the app with its watch gateway on a free loopback port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI

from accounts import service as accounts_service
from accounts.roles import Role
from config.settings import Settings
from devices.lifespan import devices_of
from devices.mosquitto import MosquittoProcess
from devices.watch.frames import Frame, FrameReader, encode
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.conftest import TEST_PASSWORD
from tests.devices.conftest import started_app, sync_broker, wait_for
from tests.seniors.test_api import senior_body

WATCH_ID = "8308373902"
SETUP_TYPES = frozenset({"SOS", "UPLOAD"})


class Watch:
    """A watch's side of one TCP connection: send frames, read the gateway's frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 watch_id: str = WATCH_ID) -> None:
        self.reader, self.writer, self.watch_id = reader, writer, watch_id
        self.frames = FrameReader()
        self.heard: list[Frame] = []

    @classmethod
    async def connect(cls, port: int, watch_id: str = WATCH_ID) -> Watch:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, watch_id)

    async def send(self, content: str | bytes) -> None:
        self.writer.write(encode("3G", self.watch_id, content))
        await self.writer.drain()

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        with contextlib.suppress(ConnectionError):  # the gateway may close on a flood
            await self.writer.drain()

    async def hear(self, within: float = 10.0) -> Frame | None:
        """The next frame from the gateway, or None if none comes in time (or it closed)."""
        while not self.heard:
            try:
                data = await asyncio.wait_for(self.reader.read(4096), within)
            except (TimeoutError, ConnectionError):
                return None
            if not data:
                return None
            self.heard += [f for f in self.frames.feed(data) if isinstance(f, Frame)]
        return self.heard.pop(0)

    async def reply(self, within: float = 10.0) -> Frame | None:
        """The next frame that is not the setup sent at connect (SOS number, interval)."""
        while (frame := await self.hear(within)) is not None and frame.type in SETUP_TYPES:
            pass
        return frame

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def alarm(at: datetime, status: int = 1 << 16, lat: float = 39.9042, lon: float = 116.4074,
          battery: int = 80) -> str:
    """An AL frame's content: a fix at (lat, lon), the status word's alarm bits."""
    return (f"AL,{at:%d%m%y},{at:%H%M%S},A,{lat:.6f},N,{lon:.6f},E,0.00,0,50,8,80,{battery},"
            f"1200,0,{status:08x},1,1,460,0,9360,4082,131,0,0.0")


@pytest.fixture
def watch_settings(mqtt_settings: Settings) -> Settings:
    return mqtt_settings.model_copy(update={"watch_port": 0, "watch_ack_timeout_seconds": 2.0})


@pytest.fixture
async def watch_app(watch_settings: Settings, clock: ManualClock,
                    broker: MosquittoProcess) -> AsyncIterator[FastAPI]:
    """The app with its ingest and its watch gateway, both connected."""
    async for application in started_app(watch_settings, broker, clock=clock):
        runtime: Runtime = application.state.runtime

        async def gateway_up(runtime: Runtime = runtime) -> bool:
            gateway = devices_of(runtime).watches
            return bool(gateway and gateway.listening.is_set()
                        and gateway.uplink.connected.is_set())

        await wait_for(gateway_up)
        yield application


@pytest.fixture
def watch_runtime(watch_app: FastAPI) -> Runtime:
    value: Runtime = watch_app.state.runtime
    return value


def gateway_port(runtime: Runtime) -> int:
    gateway = devices_of(runtime).watches
    assert gateway is not None
    return gateway.port


async def login(http: httpx.AsyncClient, runtime: Runtime, role: Role) -> dict[str, str]:
    username = f"w_{role.value}"
    async with runtime.sessions() as session:
        if await accounts_service.get_user_by_username(session, username) is None:
            await accounts_service.create_user(session, username=username, display_name=username,
                                               role=role, password=TEST_PASSWORD,
                                               now=runtime.clock.now())
            await session.commit()
    answer = await http.post("/api/v1/auth/login",
                             json={"username": username, "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def registered_watch(app: FastAPI, broker: MosquittoProcess, watch_id: str = WATCH_ID
                           ) -> int:
    """A senior wearing a 3g-watch with ``watch_id``; returns the senior's id."""
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
        await session.commit()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
        headers = await login(http, runtime, Role.SUPERVISOR)
        answer = await http.post("/api/v1/devices", headers=headers, json={
            "model": "3g-watch", "id": watch_id, "senior_id": senior.id})
        assert answer.status_code == 201, answer.text
    await sync_broker(runtime, broker)
    return senior.id
