"""A restore drill: the newest backup restored into a scratch place, the app started on it, the
counts checked, a test alarm raised and handled over HTTP, the outcome recorded."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from accounts import service as accounts_service
from accounts.roles import Role
from alarms import flows as alarm_flows
from backups import archive, drills
from backups import flows as backup_flows
from backups.drills import DrillReport
from backups.exceptions import BackupError
from config.settings import Settings
from dashboard.serving import served
from runtime.clock import Clock, SystemClock
from runtime.context import Runtime
from seniors.models import Senior
from storage.engine import create_engine, create_sessionmaker
from storage.migrate import upgrade

DRILL_USER = "drill_operator"


async def run_drill(settings: Settings, *, backup: Path | None = None,
                    clock: Clock | None = None) -> DrillReport:
    """Run one drill against the newest backup (or ``backup``) and record it."""
    clock = clock or SystemClock()
    started = clock.now()
    began = time.monotonic()
    chosen = backup or _newest(settings)
    detail: dict[str, Any] = {}
    created: datetime | None = None
    recovery_time: float | None = None
    try:
        if chosen is None:
            raise BackupError(f"no backup in {backup_flows.default_dir(settings)}")
        manifest = await asyncio.to_thread(archive.read_manifest, chosen)
        created = datetime.fromisoformat(manifest.created_at)
        async with _scratch_target(settings) as (scratch_dir, url):
            restored = await backup_flows.restore_backup(
                path=chosen, url=url, key=backup_flows.backup_key(settings))
            detail["tables"] = len(restored.manifest.counts)
            detail["rows"] = sum(restored.manifest.counts.values())
            detail["counts_match"] = True
            detail["alarm"] = await _test_alarm(settings, scratch_dir, url)
            recovery_time = time.monotonic() - began
        outcome = "passed"
    except (BackupError, OSError, RuntimeError, httpx.HTTPError, AssertionError) as error:
        detail["error"] = str(error)
        outcome = "failed"
    report = DrillReport(
        started_at=started, finished_at=clock.now(),
        backup_file=chosen.name if chosen else "", backup_created_at=created,
        recovery_point_s=(started - created).total_seconds() if created else None,
        recovery_time_s=recovery_time, outcome=outcome, detail=detail)
    await _record(settings, report)
    return report


def _newest(settings: Settings) -> Path | None:
    found = backup_flows.complete_backups(backup_flows.default_dir(settings))
    return found[-1] if found else None


@asynccontextmanager
async def _scratch_target(settings: Settings) -> AsyncIterator[tuple[Path, str]]:
    """An empty scratch folder, and a database in it (SQLite) or beside the live one."""
    folder = Path(tempfile.mkdtemp(prefix="anxin-drill-"))
    live = make_url(settings.resolved_database_url)
    if live.get_backend_name() == "sqlite":
        try:
            yield folder, f"sqlite+aiosqlite:///{folder / 'anxin.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"anxin_drill_{secrets.token_hex(4)}"
    admin = create_async_engine(live, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield folder, live.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


async def _test_alarm(settings: Settings, folder: Path, url: str) -> dict[str, Any]:
    """Start the app on the restored copy; raise a test alarm and take it over HTTP."""
    from dashboard.app import create_app

    password = secrets.token_urlsafe(24)
    drill_settings = settings.model_copy(update={
        "data_dir": folder / "var", "database_url": url, "demo": False, "mqtt_enabled": False,
        "telephony": "none", "backup_dir": None, "settle_heap": False,
        "http_host": "127.0.0.1", "demo_password": SecretStr(password)})
    app = create_app(drill_settings)
    async with served(app) as port:
        runtime: Runtime = app.state.runtime
        senior_id = await _drill_senior(runtime, password)
        raised = await alarm_flows.raise_and_announce(
            runtime, senior_id=senior_id, kind="test_call", at=runtime.clock.now(),
            details={"drill": True})
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            login = await http.post("/api/v1/auth/login",
                                    json={"username": DRILL_USER, "password": password})
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            answer = await http.post(f"/api/v1/alarms/{raised.alarm.id}/ack", headers=headers)
            answer.raise_for_status()
            assert answer.json()["state"] == "acknowledged", answer.text
    return {"alarm_id": raised.alarm.id, "senior_id": senior_id, "acknowledged": True}


async def _drill_senior(runtime: Runtime, password: str) -> int:
    """The first senior of the copy (a drill senior on an empty one); a drill operator."""
    async with runtime.sessions() as session:
        senior_id = await session.scalar(select(Senior.id).order_by(Senior.id).limit(1))
        if senior_id is None:
            now = runtime.clock.now()
            senior = Senior(name="演练 Drill", resident_id="DRILL0000000000000",
                            birth_date=now.date().replace(year=now.year - 80), sex="F",
                            address="", district="drill", created_at=now, updated_at=now)
            session.add(senior)
            await session.flush()
            senior_id = senior.id
        await accounts_service.create_user(session, username=DRILL_USER,
                                           display_name="Drill operator", role=Role.OPERATOR,
                                           password=password, now=runtime.clock.now())
        await session.commit()
    return int(senior_id)


async def _record(settings: Settings, report: DrillReport) -> None:
    """Store the drill in the live database."""
    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            await drills.record_drill(session, report=report)
            await session.commit()
    finally:
        await engine.dispose()
