"""``anxin centre-hours set``: a centre's opening hours from the command line."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from areas import service as areas_service
from areas.hours import OpeningHours, daily, parse_hours
from config.settings import Settings
from dashboard.cli import app
from storage.engine import create_sessionmaker, settings_engine
from storage.migrate import upgrade


async def _migrate(settings: Settings) -> None:
    engine = settings_engine(settings)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _hours_of(settings: Settings, slug: str) -> OpeningHours:
    engine = settings_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            return (await areas_service.centre_by_slug(session, slug)).hours
    finally:
        await engine.dispose()


@pytest.fixture
def configured(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The command's environment names this test's database, migrated."""
    monkeypatch.setenv("ANXIN_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("ANXIN_DATABASE_URL", settings.database_url)
    for name in ("secret_key", "biometric_key"):
        secret = getattr(settings, name)
        if secret is not None:
            monkeypatch.setenv(f"ANXIN_{name.upper()}", secret.get_secret_value())
    asyncio.run(_migrate(settings))
    return settings


def test_hours_are_set_and_bad_ones_refused_unchanged(configured: Settings) -> None:
    """--daily 08:00-20:00 is stored; 20:00-08:00 and two ways at once are refused with the
    reason and exit 2, the stored hours unchanged."""
    runner = CliRunner()
    stored = runner.invoke(app, ["centre-hours", "set", "region", "--daily", "08:00-20:00"])
    assert stored.exit_code == 0, stored.output
    assert "opening hours stored" in stored.output
    backwards = runner.invoke(app, ["centre-hours", "set", "region", "--daily", "20:00-08:00"])
    both = runner.invoke(app, ["centre-hours", "set", "region", "--always", "--daily",
                               "08:00-20:00"])
    unknown = runner.invoke(app, ["centre-hours", "set", "nowhere", "--always"])
    assert backwards.exit_code == 2 and "closes before it opens" in backwards.output
    assert both.exit_code == 2 and "exactly one of" in both.output
    assert unknown.exit_code == 2 and "'nowhere' not found" in unknown.output
    assert asyncio.run(_hours_of(configured, "region")) == parse_hours(daily("08:00", "20:00"))
