"""Biometric keys: rows carry a key id, a rotation re-encrypts them, audit frames are sealed,
and a capture link is spent by its check."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from accounts import service as accounts_service
from accounts.roles import Role
from config.keys import BiometricKey
from config.settings import Settings
from dashboard.app import create_app
from liveness.models import AuditFrame, DecisionRecord, FaceTemplate
from liveness.runtime import liveness_of
from liveness.templates import open_frame, open_template, seal_template
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.conftest import TEST_PASSWORD, LiveServer, serve
from tests.databases import Backend
from tests.liveness.test_api import enrol_directly, frames_body, new_senior
from tests.seniors.test_api import senior_body

OLD, NEW = "o" * 40, "n" * 40


async def started(settings: Settings) -> AsyncIterator[Runtime]:
    application: FastAPI = create_app(settings, clock=ManualClock())
    async with application.router.lifespan_context(application):
        yield application.state.runtime


async def store_old_rows(settings: Settings, template: list[float]) -> None:
    """Senior 1 with one template sealed under OLD, one from before key ids, and one plain
    audit frame."""
    old = BiometricKey.of(OLD)
    async for runtime in started(settings.model_copy(update={"biometric_key": SecretStr(OLD)})):
        async with runtime.sessions() as session:
            await seniors_service.create_senior(
                session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
            for key_id in (old.key_id, None):
                session.add(FaceTemplate(senior_id=1, photo_sha256="x", enrolled_by="t",
                                         enrolled_at=runtime.clock.now(), key_id=key_id,
                                         sealed=seal_template(old.templates, template,
                                                              senior_id=1)))
            decision = DecisionRecord(
                kind="check", senior_id=1, session_id=None, overrides_id=None, outcome="fail",
                reasons=[], scores={}, thresholds={}, versions={}, channel="kiosk",
                category="c", staff="t", approved_by=None, decided_at=runtime.clock.now(),
                previous_hash="0", record_hash="1")
            session.add(decision)
            await session.flush()
            session.add(AuditFrame(decision_id=decision.id, sealed=b"\xff\xd8plain", key_id=None,
                                   purge_after=runtime.clock.now() + timedelta(days=30)))
            await session.commit()


async def assert_under_new_key(runtime: Runtime, template: list[float]) -> None:
    new = BiometricKey.of(NEW)
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(FaceTemplate))).all()
        frame = await session.scalar(select(AuditFrame))
    assert [row.key_id for row in rows] == [new.key_id, new.key_id]
    assert all(open_template(new.templates, r.sealed, senior_id=1) == template for r in rows)
    assert frame is not None and frame.key_id == new.key_id
    assert not frame.sealed.startswith(b"\xff\xd8")
    assert open_frame(new.audit_frames, frame.sealed, decision_id=frame.decision_id) == \
        b"\xff\xd8plain"


async def test_start_up_with_the_previous_key_re_encrypts_templates_and_frames(
        settings: Settings, templates: dict[str, list[float]]) -> None:
    """With ANXIN_BIOMETRIC_KEY_PREVIOUS set, start-up moves every row to the new key id."""
    await store_old_rows(settings, templates["obama"])
    rotated = settings.model_copy(update={"biometric_key": SecretStr(NEW),
                                          "biometric_key_previous": SecretStr(OLD)})
    async for runtime in started(rotated):
        await assert_under_new_key(runtime, templates["obama"])
    # The previous key can go now: the rows open with the new key alone.
    async for runtime in started(rotated.model_copy(update={"biometric_key_previous": None})):
        await assert_under_new_key(runtime, templates["obama"])


def test_rotate_key_command_re_encrypts_and_reports(
        settings: Settings, templates: dict[str, list[float]]) -> None:
    """`anxin liveness rotate-key` re-seals the rows and prints what it did as JSON."""
    asyncio.run(store_old_rows(settings, templates["obama"]))
    assert settings.secret_key is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    env.update(ANXIN_DATA_DIR=str(settings.data_dir), ANXIN_BIOMETRIC_KEY=NEW,
               ANXIN_DATABASE_URL=settings.resolved_database_url,
               ANXIN_BIOMETRIC_KEY_PREVIOUS=OLD,
               ANXIN_SECRET_KEY=settings.secret_key.get_secret_value())
    result = subprocess.run([sys.executable, "-m", "dashboard", "liveness", "rotate-key"],
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"key_id": BiometricKey.of(NEW).key_id, "templates": 2,
                      "audit_frames": 1, "unreadable": 0}


async def log_in(server: LiveServer, client: httpx.AsyncClient) -> None:
    runtime = server.runtime
    async with runtime.sessions() as session:
        await accounts_service.create_user(session, username="s1", display_name="S",
                                           role=Role.SUBSIDY_STAFF, password=TEST_PASSWORD,
                                           now=runtime.clock.now())
        await session.commit()
    login = await client.post("/api/v1/auth/login",
                              json={"username": "s1", "password": TEST_PASSWORD})
    client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[LiveServer]:
    async for running in serve(create_app(settings)):
        yield running


async def test_audit_frames_are_sealed_and_a_capture_link_is_spent_by_its_check(
        server: LiveServer, photos: dict[str, bytes], templates: dict[str, list[float]]
) -> None:
    """Over real HTTP: a link's check keeps sealed thumbnails; the link then starts nothing."""
    runtime = server.runtime
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as staff:
        await log_in(server, staff)
        senior_id = await new_senior(staff, dict(staff.headers))
        await enrol_directly(runtime, senior_id, templates["obama"])
        url = (await staff.post("/api/v1/liveness/links", json={"senior_id": senior_id})
               ).json()["url"]
        other_url = (await staff.post("/api/v1/liveness/links", json={"senior_id": senior_id})
                     ).json()["url"]
    token, other = url.split("token=")[1], other_url.split("token=")[1]
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as phone:
        first = (await phone.post(f"/liveness/capture/{token}/sessions")).json()
        second = (await phone.post(f"/liveness/capture/{token}/sessions")).json()
        crossed = await phone.post(f"/liveness/capture/{other}/sessions/{first['id']}/frames",
                                   json=frames_body(first["nonce"], photos["obama2"]))
        assert crossed.status_code == 404  # a session belongs to the link that started it
        checked = await phone.post(f"/liveness/capture/{token}/sessions/{first['id']}/frames",
                                   json=frames_body(first["nonce"], photos["obama2"]))
        assert checked.status_code == 200, checked.text
        again = await phone.post(f"/liveness/capture/{token}/sessions")
        assert again.status_code == 409 and "already been used" in again.json()["detail"]
        late = await phone.post(f"/liveness/capture/{token}/sessions/{second['id']}/frames",
                                json=frames_body(second["nonce"], photos["obama2"]))
        assert late.status_code == 409 and "already been used" in late.json()["detail"]
    key = liveness_of(runtime).keys.current
    async with runtime.sessions() as session:
        frames = (await session.scalars(select(AuditFrame))).all()
    assert frames and all(f.key_id == key.key_id for f in frames)
    assert all(not f.sealed.startswith(b"\xff\xd8") for f in frames)
    opened = [open_frame(key.audit_frames, f.sealed, decision_id=f.decision_id) for f in frames]
    assert all(jpeg.startswith(b"\xff\xd8") for jpeg in opened)


def test_keys_are_kept_apart(tmp_path: Path) -> None:
    """Each purpose has its own key; the biometric key id names its root only."""
    from config.keys import Purpose, purpose_key
    from config.settings import prepare_secrets

    settings = prepare_secrets(Settings(data_dir=tmp_path, demo=True))
    keys = {purpose_key(settings, purpose) for purpose in Purpose}
    assert len(keys) == len(Purpose)
    assert settings.secret().encode() not in keys
    assert BiometricKey.of(OLD).key_id != BiometricKey.of(NEW).key_id


async def test_upgrading_seals_the_plain_audit_frames_of_an_older_database(
        settings: Settings, backend: Backend, request: pytest.FixtureRequest) -> None:
    """A database at the first liveness revision, with a plain thumbnail, is migrated and the
    thumbnail sealed at the first start."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.engine import Connection

    from storage.engine import create_engine
    from storage.migrate import alembic_config

    settings.data_dir.mkdir(parents=True)
    if backend == "postgresql":  # this pass's database is migrated already: start from empty
        settings = settings.model_copy(
            update={"database_url": request.getfixturevalue("postgres_url")})
    url = settings.resolved_database_url
    engine = create_engine(url)

    def to_first_liveness_revision(connection: Connection) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0400_liveness")

    async with engine.begin() as connection:
        await connection.run_sync(to_first_liveness_revision)
        await connection.execute(text(
            "INSERT INTO liveness_decisions (id, kind, senior_id, outcome, reasons, scores, "
            "thresholds, versions, channel, category, staff, note, decided_at, previous_hash, "
            "record_hash) VALUES (1, 'check', 1, 'fail', '[]', '{}', '{}', '{}', 'kiosk', 'c', "
            "'t', '', '2026-01-05 09:00:00.000000', '0', '1')"))
        await connection.execute(text(
            "INSERT INTO liveness_audit_frames (decision_id, jpeg, purge_after) "
            "VALUES (1, :jpeg, '2027-01-05 09:00:00.000000')"), {"jpeg": b"\xff\xd8old"})
    await engine.dispose()
    async for runtime in started(settings):
        key = liveness_of(runtime).keys.current
        async with runtime.sessions() as session:
            frame = await session.scalar(select(AuditFrame))
    assert frame is not None and frame.key_id == key.key_id
    assert open_frame(key.audit_frames, frame.sealed, decision_id=1) == b"\xff\xd8old"
