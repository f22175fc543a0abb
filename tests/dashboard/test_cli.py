"""The command line: database upgrade and demo seeding on a real, empty database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.engine import create_engine
from tests.databases import Backend


def anxin(*args: str, data_dir: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    env.update(ANXIN_DATA_DIR=str(data_dir), ANXIN_DATABASE_URL=url)
    return subprocess.run([sys.executable, "-m", "dashboard", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, backend: Backend, tmp_path: Path) -> str:
    """An empty database of this pass: a new SQLite file, or an empty PostgreSQL database."""
    if backend == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite+aiosqlite:///{tmp_path / 'anxin.db'}"


async def test_db_upgrade_then_demo_seed_twice(tmp_path: Path, empty_url: str) -> None:
    """Upgrade makes the schema; seeding twice leaves the demo once: 50 Hohhot seniors and six
    at each border station, and the eight demo accounts."""
    assert anxin("db", "upgrade", data_dir=tmp_path, url=empty_url).returncode == 0
    for _ in range(2):
        result = anxin("demo", "seed", data_dir=tmp_path, url=empty_url)
        assert result.returncode == 0, result.stderr
    password = (tmp_path / "demo-password").read_text().strip()
    assert password in result.stdout
    engine = create_engine(empty_url)
    try:
        async with engine.connect() as db:
            seniors = (await db.execute(text("SELECT count(*) FROM seniors"))).scalar_one()
            users = sorted((await db.execute(text("SELECT username FROM staff_users"))).scalars())
            districts = set((await db.execute(
                text("SELECT DISTINCT district FROM seniors"))).scalars())
    finally:
        await engine.dispose()
    assert seniors == 50 + 6 + 6
    assert users == ["admin", "dispatcher1", "erlian1", "manzhouli1", "operator1", "operator2",
                     "subsidy1", "supervisor1"]
    assert len(districts) >= 6
