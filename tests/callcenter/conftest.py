"""A senior with two emergency contacts, and helpers to drive simulated calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from pydantic import SecretStr

from accounts.roles import Role
from callcenter.freeswitch.adapter import FreeSwitchNetwork
from callcenter.freeswitch.fake_switch import FakeSwitch
from callcenter.lifespan import callcenter_of
from config.settings import Settings
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.seniors.test_api import senior_body

if TYPE_CHECKING:
    from tests.callcenter.phones import Phone

SENIOR_PHONE = "+8613804710001"
SON_PHONE = "+8613900000001"
DAUGHTER_PHONE = "+8613900000002"


@pytest.fixture
async def senior_id(runtime: Runtime) -> int:
    """王秀英, phone 138 0471 0001, contacts 李强 (son) then 李梅 (daughter)."""
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
        await session.commit()
        return senior.id


def spoken(answer: dict[str, Any]) -> str:
    """Everything the caller heard in one answer, joined."""
    return " ".join(a.get("text") or a.get("prompt") or "" for a in answer["actions"])


async def dial(client: httpx.AsyncClient, headers: dict[str, str],
               number: str) -> dict[str, Any]:
    response = await client.post("/telephony/simulator/calls", json={"from_number": number},
                                 headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def press(client: httpx.AsyncClient, headers: dict[str, str], call_id: int,
                **body: str) -> dict[str, Any]:
    response = await client.post(f"/telephony/simulator/calls/{call_id}/input", json=body,
                                 headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def phone_event(client: httpx.AsyncClient, headers: dict[str, str], call_id: int,
                      kind: str) -> dict[str, Any]:
    response = await client.post(f"/telephony/simulator/calls/{call_id}/events",
                                 json={"kind": kind}, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


NETWORKS = ("simulator", "freeswitch")


@pytest.fixture(params=NETWORKS)
def network(request: pytest.FixtureRequest) -> str:
    """The phone network a scenario runs on: the simulator, or FreeSWITCH (the fake switch)."""
    value: str = request.param
    return value


@pytest.fixture
async def switch(clock: ManualClock) -> AsyncIterator[FakeSwitch]:
    """The fake FreeSWITCH, its gathers timed on the test's clock."""
    fake = FakeSwitch(password="anxin-test-esl", clock=clock)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """On the FreeSWITCH runs, the app talks to the fake switch (with an ASR, so that callers
    can speak as on the simulator)."""
    if "network" not in request.fixturenames or request.getfixturevalue("network") != "freeswitch":
        return settings
    fake: FakeSwitch = request.getfixturevalue("switch")
    return settings.model_copy(update={
        "telephony": "freeswitch", "freeswitch_esl": f"127.0.0.1:{fake.port}",
        "freeswitch_esl_password": SecretStr(fake.password), "freeswitch_socket_port": 0,
        "freeswitch_asr": "unimrcp"})


@pytest.fixture
async def phone(network: str, runtime: Runtime, client: httpx.AsyncClient,
                login_as: Callable[[Role], Awaitable[dict[str, str]]],
                request: pytest.FixtureRequest) -> AsyncIterator[Phone]:
    """The caller's phone on the scenario's network."""
    from tests.callcenter.phones import SimulatedPhone, SwitchPhone  # they use the helpers here

    async with runtime.bus.subscribe() as subscription:
        if network == "simulator":
            yield SimulatedPhone(client, await login_as(Role.OPERATOR), subscription)
            return
        fake: FakeSwitch = request.getfixturevalue("switch")
        provider = callcenter_of(runtime).provider
        assert isinstance(provider, FreeSwitchNetwork)
        async with asyncio.timeout(5):
            await provider.connected.wait()
        fake.call_socket = ("127.0.0.1", provider.listening_port)
        yield SwitchPhone(runtime, fake, subscription)
