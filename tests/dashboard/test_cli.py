"""The command line: database upgrade and demo seeding on a real file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def anxin(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    env["ANXIN_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "dashboard", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_db_upgrade_then_demo_seed_twice(tmp_path: Path) -> None:
    """Upgrade makes the schema; seeding twice leaves 50 seniors and the six demo accounts."""
    assert anxin("db", "upgrade", data_dir=tmp_path).returncode == 0
    for _ in range(2):
        result = anxin("demo", "seed", data_dir=tmp_path)
        assert result.returncode == 0, result.stderr
    password = (tmp_path / "demo-password").read_text().strip()
    assert password in result.stdout
    with sqlite3.connect(tmp_path / "anxin.db") as db:
        seniors = db.execute("SELECT count(*) FROM seniors").fetchone()[0]
        users = sorted(row[0] for row in db.execute("SELECT username FROM staff_users"))
        districts = {row[0] for row in db.execute("SELECT DISTINCT district FROM seniors")}
    assert seniors == 50
    assert users == ["admin", "dispatcher1", "operator1", "operator2", "subsidy1", "supervisor1"]
    assert len(districts) >= 6
