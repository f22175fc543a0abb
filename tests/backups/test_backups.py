"""Backups: encrypted, checksummed files with a manifest; restores that refuse what is unsafe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from backups import archive, flows, snapshot
from backups.exceptions import (
    CorruptBackupError,
    NewerSchemaError,
    TargetNotEmptyError,
    WrongKeyError,
)
from devices.models import DeviceReading
from storage.engine import create_engine
from tests.retention.conftest import Store, add_readings, add_senior_with_watch

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
KEY = bytes(range(32))


async def _filled(store: Store) -> int:
    device = await add_senior_with_watch(store, senior_id=7, now=NOW)
    return await add_readings(store, device_id=device, senior_id=7,
                              start=NOW - timedelta(days=1), hours=24)


def _empty_target(store: Store, tmp_path: Path, name: str) -> str:
    if store.url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / name / 'anxin.db'}"
    return store.url.rsplit("/", 1)[0] + "/" + name


async def _create_database(store: Store, name: str) -> None:
    if store.url.startswith("postgresql"):
        async with store.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'CREATE DATABASE "{name}"'))


async def _readings(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(
                select(func.count()).select_from(DeviceReading))).scalar_one())
    finally:
        await engine.dispose()


async def test_backup_and_restore_round_trip(store: Store, tmp_path: Path) -> None:
    """A backup restores into an empty target with the manifest's counts and the same rows."""
    written = await _filled(store)
    path = await flows.create_backup(url=store.url, to=tmp_path / "backups", key=KEY, now=NOW)
    manifest = archive.read_manifest(path)
    assert manifest.counts["device_readings"] == written
    assert manifest.counts["seniors"] == 1 and manifest.revisions
    assert b"\xe8\x80\x81\xe4\xba\xba7" not in path.read_bytes()  # the name 老人7, encrypted
    target = _empty_target(store, tmp_path, "restored")
    await _create_database(store, "restored")
    restored = await flows.restore_backup(path=path, url=target, key=KEY)
    assert restored.manifest.counts == manifest.counts
    assert await _readings(target) == written
    with pytest.raises(TargetNotEmptyError):
        await flows.restore_backup(path=path, url=target, key=KEY)


async def test_restore_refuses_damage_wrong_key_and_newer_schema(store: Store,
                                                                 tmp_path: Path) -> None:
    """A changed byte, a cut-off file, another key or an unknown revision: refused, nothing
    restored."""
    await _filled(store)
    path = await flows.create_backup(url=store.url, to=tmp_path / "b", key=KEY, now=NOW)
    target = _empty_target(store, tmp_path, "target")
    await _create_database(store, "target")
    damaged = tmp_path / "damaged.anxbak"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    damaged.write_bytes(bytes(raw))
    with pytest.raises(CorruptBackupError, match="checksum"):
        await flows.restore_backup(path=damaged, url=target, key=KEY)
    cut = tmp_path / "cut.anxbak"
    cut.write_bytes(path.read_bytes()[: len(raw) // 2])
    with pytest.raises(CorruptBackupError):
        await flows.restore_backup(path=cut, url=target, key=KEY)
    with pytest.raises(WrongKeyError):
        await flows.restore_backup(path=path, url=target, key=bytes(32))
    async with store.sessions() as session:
        await session.execute(text("INSERT INTO alembic_version VALUES ('9999_from_the_future')"))
        await session.commit()
    newer = await flows.create_backup(url=store.url, to=tmp_path / "n", key=KEY,
                                      now=NOW + timedelta(hours=1))
    with pytest.raises(NewerSchemaError, match="9999_from_the_future"):
        await flows.restore_backup(path=newer, url=target, key=KEY)
    assert not (await snapshot.contents(target))[1]


def test_interrupted_backup_leaves_no_complete_looking_file(tmp_path: Path) -> None:
    """A writer killed halfway leaves only a .partial file, which fails its checksum and is
    pruned."""
    fifo = tmp_path / "snapshot"
    os.mkfifo(fifo)
    folder = tmp_path / "backups"
    folder.mkdir()
    target = folder / f"anxin-20260310T120000Z{archive.SUFFIX}"
    script = ("import sys; from pathlib import Path; from backups import archive; "
              "m = archive.Manifest('t', 'sqlite', [], {}, archive.key_id(bytes(32)), 0, "
              "'00' * 8); archive.write(Path(sys.argv[1]), Path(sys.argv[2]), "
              "key=bytes(32), manifest=m)")
    writer = subprocess.Popen([sys.executable, "-c", script, str(fifo), str(target)])
    with fifo.open("wb") as feed:
        feed.write(os.urandom(3 * archive.CHUNK))
        feed.flush()
        partial = target.with_name(target.name + archive.PARTIAL)
        while not partial.exists() or partial.stat().st_size < 2 * archive.CHUNK:
            assert writer.poll() is None
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert flows.complete_backups(folder) == [] and not target.exists()
    with pytest.raises(CorruptBackupError):
        archive.verify(partial)
    assert flows.prune(folder, keep=3) == [partial] and not partial.exists()
