"""Drills: the newest backup restored into scratch, the app started on it, a test alarm taken."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from accounts.roles import Role
from backups import drills
from backups import flows as backup_flows
from backups.drills import DrillReport
from config.settings import Settings
from dashboard.drill import run_drill
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.retention.conftest import Store, add_readings, add_senior_with_watch

MADE = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def _settings(store: Store, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=store.url,
                    secret_key=SecretStr(secrets.token_urlsafe(40)),
                    biometric_key=SecretStr(secrets.token_urlsafe(40)),
                    backup_dir=tmp_path / "backups", mqtt_enabled=False, telephony="none",
                    settle_heap=False)


async def test_drill_restores_the_newest_backup_and_handles_a_test_alarm(
        store: Store, tmp_path: Path) -> None:
    """A drill passes: counts match, the alarm is taken over HTTP, RPO and RTO recorded."""
    settings = _settings(store, tmp_path)
    device = await add_senior_with_watch(store, senior_id=3, now=MADE)
    await add_readings(store, device_id=device, senior_id=3, start=MADE - timedelta(hours=5),
                       hours=5)
    key = backup_flows.backup_key(settings)
    await backup_flows.create_backup(url=store.url, to=tmp_path / "backups", key=key,
                                     now=MADE - timedelta(days=1))
    await backup_flows.create_backup(url=store.url, to=tmp_path / "backups", key=key, now=MADE)
    report = await run_drill(settings, clock=ManualClock(MADE + timedelta(hours=2)))
    assert report.outcome == "passed", report.detail
    assert report.backup_file == "anxin-20260310T020000Z.anxbak"
    assert report.recovery_point_s == 7200
    assert report.recovery_time_s is not None and report.recovery_time_s > 0
    assert report.detail["alarm"]["senior_id"] == 3 and report.detail["counts_match"]
    async with store.sessions() as session:
        stored = await drills.list_drills(session)
    assert [row.outcome for row in stored] == ["passed"]


async def test_drill_without_a_backup_is_recorded_as_failed(store: Store, tmp_path: Path) -> None:
    """No backup to restore: the drill fails, says why, and is on the record."""
    report = await run_drill(_settings(store, tmp_path))
    assert report.outcome == "failed" and "no backup" in report.detail["error"]


async def test_drill_record_says_whether_two_passed_this_year(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """The supervisor sees the drills, newest first, and whether two passed this year."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        for days, outcome in ((400, "passed"), (3, "failed"), (2, "passed")):
            at = now - timedelta(days=days) if days < 400 else now.replace(year=now.year - 1)
            await drills.record_drill(session, report=DrillReport(
                started_at=at, finished_at=at, backup_file=f"b{days}", backup_created_at=at,
                recovery_point_s=60.0, recovery_time_s=5.0, outcome=outcome))
        await session.commit()
    supervisor = await login_as(Role.SUPERVISOR)
    record = (await client.get("/api/v1/drills", headers=supervisor)).json()
    assert (record["passed_this_year"], record["requirement_met"]) == (1, False)
    assert [d["backup_file"] for d in record["drills"]][:2] == ["b2", "b3"]
    operator = await login_as(Role.OPERATOR)
    assert (await client.get("/api/v1/drills", headers=operator)).status_code == 403
