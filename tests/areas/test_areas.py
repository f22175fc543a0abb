"""Areas as data: seniors, devices, alarms, providers and staff carry the area they belong
to, a senior who moves takes their open work along, and the migration maps old districts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import httpx
import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, select, text

from accounts.models import AuditEntry, CentreMember, StaffUser
from accounts.roles import Role
from alarms.models import Alarm
from areas.codes import prefix_of
from callcenter.routing.flows import sync_alarm_tasks
from config.settings import Settings
from devices.models import Device
from runtime.context import Runtime
from seniors.models import Senior
from storage.engine import create_engine
from storage.migrate import MIGRATIONS_DIR, upgrade
from tests.areas.conftest import World, add_staff, login, resident_id
from tests.dispatch.steps import create_order
from tests.seniors.test_api import senior_body


def test_a_code_covers_its_subtree() -> None:
    """Region, city and county codes become the prefixes their subtrees share."""
    assert [prefix_of(c) for c in ("150000", "150100", "152501", "150102001000")] == \
        ["15", "1501", "152501", "150102001"]


async def test_seniors_alarms_and_devices_carry_the_area(world: World, runtime: Runtime) -> None:
    """A senior's area comes from their district; their device and alarm inherit it."""
    async with runtime.sessions() as session:
        senior = await session.get(Senior, world.erenhot.senior_id)
        device = await session.get(Device, world.erenhot.device_id)
        alarm = await session.get(Alarm, world.erenhot.alarm_id)
    assert senior is not None and device is not None and alarm is not None
    assert (senior.area_code, device.area_code, alarm.area_code) == ("152501",) * 3


async def test_staff_register_seniors_in_their_own_areas_only(world: World,
                                                              client: httpx.AsyncClient) -> None:
    """An Erenhot operator registers an Erenhot senior; one in Hohhot is refused, unsaved."""
    ours = senior_body(resident_id=resident_id("152501", 7), district="Erenhot",
                       name="新登记老人")
    created = await client.post("/api/v1/seniors", json=ours, headers=world.erenhot.headers)
    assert created.status_code == 201, created.text
    assert created.json()["area_code"] == "152501"
    theirs = senior_body(resident_id=resident_id("150102", 8))
    refused = await client.post("/api/v1/seniors", json=theirs, headers=world.erenhot.headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "area_outside_scope"
    listed = await client.get("/api/v1/seniors", params={"name": "王秀英"},
                              headers=world.region_headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The routing loop is driven by hand (sync) under the manual clock."""
    return settings.model_copy(update={"run_background_tasks": False})


async def queued(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    tasks = await client.get("/api/v1/routing/tasks", headers=headers)
    assert tasks.status_code == 200, tasks.text
    return {task["ref"] for task in tasks.json()}


async def test_a_moved_senior_takes_open_work_along(world: World, client: httpx.AsyncClient,
                                                    runtime: Runtime) -> None:
    """Moving a senior to Manzhouli moves their open alarm, its routing task, their device
    and their open service order: Manzhouli sees them, Erenhot no longer; the audit says who
    moved them from where to where."""
    station = world.erenhot
    await sync_alarm_tasks(runtime)
    await add_staff(runtime, "region_disp", Role.DISPATCHER, ("region",))
    order = await create_order(client, await login(client, "region_disp"), station.senior_id)
    ref = f"alarm:{station.alarm_id}"
    assert ref in await queued(client, station.supervisor)
    moved = await client.patch(f"/api/v1/seniors/{station.senior_id}",
                               json={"district": "满洲里市", "address": "满洲里市中苏路2号"},
                               headers=world.region_headers)
    assert moved.status_code == 200, moved.text
    async with runtime.sessions() as session:
        alarm = await session.get(Alarm, station.alarm_id)
        device = await session.get(Device, station.device_id)
        audit = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "senior.move"))).one()
    assert alarm is not None and device is not None
    assert (alarm.area_code, device.area_code) == ("150781", "150781")
    assert audit.actor == "region_sup"
    assert audit.detail == {"from_area": "152501", "to_area": "150781",
                            "moved": {"alarms": 1, "devices": 1, "tasks": 1}}
    assert ref not in await queued(client, station.supervisor)
    assert ref in await queued(client, world.manzhouli.supervisor)
    for path in (f"/api/v1/alarms/{station.alarm_id}", f"/api/v1/orders/{order['id']}"):
        gone = await client.get(path, headers=station.headers)
        seen = await client.get(path, headers=world.manzhouli.headers)
        assert (gone.status_code, seen.status_code) == (404, 200), path


async def test_the_migration_maps_districts_to_codes(tmp_path: Path) -> None:
    """Rows from before areas get their district's code (or the region's); staff join the
    region centre with their role."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await upgrade(engine)
    async with engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO seniors (name, resident_id, birth_date, sex, address, district, "
            "lives_alone, languages, medical_notes, subsidy_categories, created_at, updated_at)"
            " VALUES ('甲', '1', '1945-01-01', 'female', 'x', '新城区', 0, '[]', '', '[]',"
            " '2026-01-01', '2026-01-01'), ('乙', '2', '1945-01-01', 'male', 'x', 'Nowhere', 0,"
            " '[]', '', '[]', '2026-01-01', '2026-01-01'), ('丙', '3', '1945-01-01', 'male',"
            " 'x', 'Erenhot', 0, '[]', '', '[]', '2026-01-01', '2026-01-01')"))
        await connection.execute(text(
            "INSERT INTO staff_users (username, display_name, role, password_hash, active, "
            "failed_logins, created_at) VALUES ('old', 'old', 'operator', 'x', 1, 0, "
            "'2026-01-01')"))
        await connection.run_sync(_fill_as_the_migration_does)
        rows = (await connection.execute(select(Senior.name, Senior.area_code))).all()
        areas = dict(rows)
        staff = (await connection.execute(select(StaffUser.area_code))).scalar_one()
        member = (await connection.execute(select(CentreMember.centre_id,
                                                  CentreMember.role))).one()
    await engine.dispose()
    assert areas == {"甲": "150102", "乙": "150000", "丙": "152501"}
    assert (staff, *member) == ("150000", 1, "operator")


def _fill_as_the_migration_does(sync: Connection) -> None:
    path = MIGRATIONS_DIR / "versions" / "0830_areas.py"
    spec = importlib.util.spec_from_file_location("areas_revision", path)
    assert spec is not None and spec.loader is not None
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    with Operations.context(MigrationContext.configure(sync)):
        revision._fill_areas()
