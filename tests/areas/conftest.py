"""One installation with two sibling stations (Erenhot, Manzhouli), their parents and the
region: a senior with a device and an open alarm at each station, and staff of each centre."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from accounts import service as accounts_service
from accounts.roles import Role
from alarms import service as alarms_service
from areas import demo as areas_demo
from devices import service as devices_service
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.identity import check_digit
from seniors.schemas import SeniorCreate
from tests.conftest import TEST_PASSWORD


@dataclass
class Station:
    """One station's records, and what would betray them in another centre's answers."""

    slug: str
    district: str
    senior_id: int = 0
    alarm_id: int = 0
    device_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # its operator
    supervisor: dict[str, str] = field(default_factory=dict)

    @property
    def senior_name(self) -> str:
        return f"{self.district}测试老人"

    @property
    def markers(self) -> tuple[str, ...]:
        return (self.senior_name, self.device_id)


@dataclass
class World:
    erenhot: Station
    manzhouli: Station
    region_headers: dict[str, str]
    xilingol_headers: dict[str, str]

    def pairs(self) -> list[tuple[Station, Station]]:
        """(viewer, the other station) both ways round."""
        return [(self.erenhot, self.manzhouli), (self.manzhouli, self.erenhot)]


def resident_id(area: str, serial: int) -> str:
    first17 = f"{area}19450302{serial:03d}"
    return first17 + check_digit(first17)


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login",
                                 json={"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.text
    client.cookies.clear()  # a log-in with a session cookie ends that session
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def add_staff(runtime: Runtime, username: str, role: Role, centres: tuple[str, ...]
                    ) -> None:
    async with runtime.sessions() as session:
        await accounts_service.create_user(session, username=username, display_name=username,
                                           role=role, password=TEST_PASSWORD,
                                           now=runtime.clock.now(), centres=centres)
        await session.commit()


async def furnish(runtime: Runtime, station: Station, area: str, serial: int) -> None:
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(session, now=now, data=SeniorCreate(
            name=station.senior_name, resident_id=resident_id(area, serial), sex="female",
            address=f"{station.district}前进路1号", district=station.district,
            phones=[f"1390000{serial:04d}"]))
        device, _ = await devices_service.provision_device(
            session, model_id="anxin-pendant", senior_id=senior.id, location="",
            device_id=f"pendant-{station.slug}", now=now)
        alarm = await alarms_service.raise_alarm(session, senior_id=senior.id, kind="sos",
                                                 at=now, device_id=device.id)
        await session.commit()
    station.senior_id, station.device_id, station.alarm_id = senior.id, device.id, alarm.alarm.id


@pytest.fixture
async def world(runtime: Runtime, client: httpx.AsyncClient) -> World:
    """Erenhot and Manzhouli furnished, with an operator and a supervisor each, a league
    supervisor over Erenhot and a region supervisor over everything."""
    return await build_world(runtime, client)


async def build_world(runtime: Runtime, client: httpx.AsyncClient) -> World:
    async with runtime.sessions() as session:
        await areas_demo.seed_centres(session)
        await session.commit()
    erenhot = Station("erenhot", "二连浩特市")
    manzhouli = Station("manzhouli", "满洲里市")
    await furnish(runtime, erenhot, "152501", 1)
    await furnish(runtime, manzhouli, "150781", 2)
    for username, role, centre in (("erenhot_op", Role.OPERATOR, "erenhot"),
                                   ("manzhouli_op", Role.OPERATOR, "manzhouli"),
                                   ("erenhot_sup", Role.SUPERVISOR, "erenhot"),
                                   ("manzhouli_sup", Role.SUPERVISOR, "manzhouli"),
                                   ("xilingol_sup", Role.SUPERVISOR, "xilingol"),
                                   ("region_sup", Role.SUPERVISOR, "region")):
        await add_staff(runtime, username, role, (centre,))
    erenhot.headers = await login(client, "erenhot_op")
    manzhouli.headers = await login(client, "manzhouli_op")
    erenhot.supervisor = await login(client, "erenhot_sup")
    manzhouli.supervisor = await login(client, "manzhouli_sup")
    return World(erenhot, manzhouli, await login(client, "region_sup"),
                 await login(client, "xilingol_sup"))
