"""Hardening: security headers, the API document for staff only, quiet probes, secure
cookies behind https, formula-safe CSV, and a private data directory."""

from __future__ import annotations

import csv
import io
import secrets
import stat
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import create_async_engine

from accounts.roles import Role
from config.settings import Settings
from dashboard.app import create_app
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.liveness.test_api import new_senior
from tests.seniors.test_api import senior_body


async def test_every_answer_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    """Pages and API answers forbid inline script and framing, and sniffing and referrers."""
    for path in ("/login", "/healthz", "/api/v1/auth/me", "/static/app.js"):
        headers = (await client.get(path)).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split(
            "script-src")[1].split(";")[0], path
        assert "frame-ancestors 'none'" in policy, path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path


def test_pages_have_no_inline_script() -> None:
    """The static pages load scripts from files only, so the policy needs no inline script."""
    for page in Path("dashboard/static").glob("*.html"):
        text = page.read_text()
        assert "<script>" not in text and " onclick=" not in text, page
        assert all('src="' in tag.split(">")[0] for tag in text.split("<script")[1:]), page


async def test_api_document_is_for_signed_in_staff(client: httpx.AsyncClient,
                                                   login_as: LoginAs) -> None:
    """Outside demo mode /openapi.json and /docs answer 401 to strangers, 200 to staff."""
    assert (await client.get("/openapi.json")).status_code == 401
    assert (await client.get("/docs")).status_code == 401
    operator = await login_as(Role.OPERATOR)
    spec = await client.get("/openapi.json", headers=operator)
    assert spec.status_code == 200 and "/api/v1/seniors" in spec.json()["paths"]
    assert "/openapi.json" not in spec.json()["paths"]
    assert (await client.get("/docs", headers=operator)).status_code == 200


async def test_api_document_is_open_in_demo_mode(settings: Settings) -> None:
    """In demo mode anyone may read the API document."""
    app = create_app(settings.model_copy(update={"demo": True}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
            assert (await http.get("/openapi.json")).status_code == 200


async def test_readiness_names_the_failure_without_its_text(
        client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path) -> None:
    """A failing database answers 503 naming the database, not the driver's message."""
    broken = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/missing-dir/secret-path.db")
    runtime.engine, healthy = broken, runtime.engine
    try:
        answer = await client.get("/readyz")
    finally:
        runtime.engine = healthy
        await broken.dispose()
    assert answer.status_code == 503
    assert answer.json()["failed"] == ["database"]
    assert "secret-path" not in answer.text and "unable" not in answer.text.lower()


def test_cookie_is_secure_behind_https(tmp_path: Path) -> None:
    """An https public URL turns cookie_secure on unless it is set explicitly."""
    key = SecretStr(secrets.token_urlsafe(40))
    assert Settings(secret_key=key, public_base_url="https://12349.example.cn").cookie_secure
    assert not Settings(secret_key=key, public_base_url="http://10.0.0.5").cookie_secure
    assert not Settings(secret_key=key, public_base_url="https://12349.example.cn",
                        cookie_secure=False).cookie_secure


async def test_csv_exports_keep_formulas_as_text(client: httpx.AsyncClient,
                                                 login_as: LoginAs) -> None:
    """A senior named like a formula is exported with a leading apostrophe."""
    staff = await login_as(Role.SUBSIDY_STAFF)
    name = '=HYPERLINK("http://evil.example","x")'
    created = await client.post("/api/v1/seniors", headers=staff,
                                json=senior_body(name=name, resident_id="150102194503020038"))
    assert created.status_code == 201, created.text
    await new_senior(client, staff)
    roster = await client.get("/api/v1/liveness/roster.csv", headers=staff)
    names = [row[1] for row in csv.reader(io.StringIO(roster.text))][1:]
    assert "'" + name in names and name not in names
    assert "王秀英" in names


@pytest.mark.sqlite_only("the mode of the database file")
async def test_data_dir_and_database_are_private(client: httpx.AsyncClient,
                                                 settings: Settings) -> None:
    """The data directory is 0700 and the database files 0600 after start-up."""
    assert (await client.get("/readyz")).status_code == 200
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    database = settings.data_dir / "anxin.db"
    for path in (database, Path(f"{database}-wal")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.sqlite_only("the mode of the database file")
async def test_an_existing_open_data_dir_is_narrowed(settings: Settings) -> None:
    """A data directory and database left 0755/0644 by an older version are narrowed."""
    settings.data_dir.mkdir(mode=0o755, parents=True)
    settings.data_dir.chmod(0o755)
    database = settings.data_dir / "anxin.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE(database.stat().st_mode) == 0o600
