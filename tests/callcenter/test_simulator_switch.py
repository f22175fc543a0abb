"""The telephony simulator runs only in demo mode or when asked for by name (issue 14, item 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from accounts.roles import Role
from config.exceptions import InsecureSettingsError
from config.settings import Settings, prepare_secrets
from dashboard.app import create_app
from tests.conftest import TEST_PASSWORD


@pytest.fixture
async def production_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app outside demo mode with ANXIN_TELEPHONY left unset."""
    application = create_app(settings.model_copy(update={"telephony": None}))
    async with application.router.lifespan_context(application):
        yield application


async def _operator_headers(application: FastAPI, http: httpx.AsyncClient) -> dict[str, str]:
    from accounts import service as accounts_service

    runtime = application.state.runtime
    async with runtime.sessions() as session:
        await accounts_service.create_user(session, username="op", display_name="Op",
                                           role=Role.OPERATOR, password=TEST_PASSWORD,
                                           now=runtime.clock.now())
        await session.commit()
    response = await http.post("/api/v1/auth/login",
                               json={"username": "op", "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_simulator_is_off_outside_demo_mode(production_app: FastAPI) -> None:
    """With no ANXIN_TELEPHONY outside demo mode nobody can fake a caller on the simulator."""
    transport = httpx.ASGITransport(app=production_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
        headers = await _operator_headers(production_app, http)
        response = await http.post("/telephony/simulator/calls",
                                   json={"from_number": "13804710001"}, headers=headers)
    assert response.status_code == 404
    assert production_app.state.runtime.settings.telephony == "none"


def test_demo_mode_picks_the_simulator(tmp_path: Path) -> None:
    """ANXIN_DEMO=1 without ANXIN_TELEPHONY runs the simulator; outside demo mode it is off."""
    assert prepare_secrets(Settings(data_dir=tmp_path, demo=True)).telephony == "simulator"
    production = Settings(data_dir=tmp_path, secret_key=SecretStr("k" * 40),
                          biometric_key=SecretStr("b" * 40))
    assert prepare_secrets(production).telephony == "none"
    explicit = production.model_copy(update={"telephony": "simulator"})
    assert prepare_secrets(explicit).telephony == "simulator"


def test_simulator_beside_twilio_credentials_is_refused(tmp_path: Path) -> None:
    """The simulator cannot be switched on next to a real provider's credentials."""
    settings = Settings(data_dir=tmp_path, demo=True, telephony="simulator",
                        twilio_account_sid="AC" + "0" * 32)
    with pytest.raises(InsecureSettingsError, match="ANXIN_TELEPHONY=simulator"):
        prepare_secrets(settings)


def test_serve_refuses_simulator_beside_twilio(tmp_path: Path) -> None:
    """`anxin serve` with the simulator and Twilio credentials exits 2 with one line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    env.update(ANXIN_DATA_DIR=str(tmp_path), ANXIN_HTTP_PORT="1", ANXIN_DEMO="1",
               ANXIN_TELEPHONY="simulator", ANXIN_TWILIO_AUTH_TOKEN="f" * 32)
    result = subprocess.run([sys.executable, "-m", "dashboard", "serve"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ANXIN_TELEPHONY=simulator" in lines[0]
