"""Make a backup, restore one, keep the newest N on a schedule."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory

from backups import archive, snapshot
from backups.exceptions import BackupError, NewerSchemaError, OtherDatabaseError
from config.keys import Purpose, derive, purpose_key
from config.settings import Settings
from runtime.clock import Clock
from runtime.context import Runtime
from storage.migrate import alembic_config

log = logging.getLogger(__name__)


def backup_key(settings: Settings) -> bytes:
    """ANXIN_BACKUP_KEY if set, else a key derived from ANXIN_SECRET_KEY."""
    if settings.backup_key is not None:
        return derive(settings.backup_key.get_secret_value(), "anxin backups v1")
    return purpose_key(settings, Purpose.BACKUPS)


def default_dir(settings: Settings) -> Path:
    return settings.backup_dir or settings.data_dir / "backups"


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore put back."""

    path: Path
    manifest: archive.Manifest


async def create_backup(*, url: str, to: Path, key: bytes, now: datetime) -> Path:
    """Snapshot the database at ``url`` into an encrypted file in ``to``; returns its path."""
    await asyncio.to_thread(to.mkdir, mode=0o700, parents=True, exist_ok=True)
    target = to / f"anxin-{now:%Y%m%dT%H%M%S}Z{archive.SUFFIX}"
    with tempfile.TemporaryDirectory(dir=to, prefix=".snapshot-") as scratch:
        taken = await snapshot.take(url, Path(scratch) / "snapshot")
        manifest = archive.Manifest(
            created_at=now.isoformat(), dialect=taken.dialect, revisions=taken.revisions,
            counts=taken.counts, key_id=archive.key_id(key),
            snapshot_bytes=taken.path.stat().st_size, nonce_prefix=os.urandom(8).hex())
        return await asyncio.to_thread(archive.write, taken.path, target, key=key,
                                       manifest=manifest)


async def restore_backup(*, path: Path, url: str, key: bytes) -> Restored:
    """Check ``path`` and put it into the empty database at ``url``; the counts must match."""
    manifest = await asyncio.to_thread(archive.read_manifest, path)
    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    if manifest.dialect != dialect:
        raise OtherDatabaseError(f"this is a backup of a {manifest.dialect} database; restore "
                                 f"it into {manifest.dialect}, not {dialect}")
    _refuse_newer_schema(manifest.revisions, url)
    await snapshot.ensure_empty(url)
    scratch_dir = _scratch_dir(url)
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix=".restore-") as scratch:
        plain = Path(scratch) / "snapshot"
        await asyncio.to_thread(archive.decrypt, path, plain, key=key)
        await snapshot.put_back(plain, url)
    _, counts = await snapshot.contents(url)
    if counts != manifest.counts:
        differ = sorted(name for name in set(counts) | set(manifest.counts)
                        if counts.get(name) != manifest.counts.get(name))
        raise BackupError(f"restored row counts differ from the manifest: {', '.join(differ)}")
    return Restored(path, manifest)


def _scratch_dir(url: str) -> Path | None:
    from storage.engine import sqlite_file

    database = sqlite_file(url) if url.startswith("sqlite") else None
    if database is None:
        return None
    folder = Path(database).parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder  # the same file system, so the restored file is renamed into place


def _refuse_newer_schema(revisions: list[str], url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(url))
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = sorted(set(revisions) - known)
    if unknown:
        raise NewerSchemaError(f"the backup's schema is newer than this code (revisions "
                               f"{', '.join(unknown)}): upgrade Anxin first, then restore")


def complete_backups(folder: Path) -> list[Path]:
    """The finished backup files in ``folder``, oldest first (names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"anxin-*{archive.SUFFIX}"))


def prune(folder: Path, *, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups and any left-over partial file."""
    gone = complete_backups(folder)[:-keep]
    gone += list(folder.glob(f"*{archive.PARTIAL}"))
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


async def scheduled_backup_once(settings: Settings, clock: Clock) -> Path:
    folder = default_dir(settings)
    made = await create_backup(url=settings.resolved_database_url, to=folder,
                               key=backup_key(settings), now=clock.now())
    prune(folder, keep=settings.backup_keep)
    return made


async def backup_loop(runtime: Runtime) -> None:
    """With ANXIN_BACKUP_DIR set: a backup every ANXIN_BACKUP_INTERVAL_HOURS, newest N kept.

    One async function, so a cluster-wide lease can wrap it when several instances run.
    """
    settings = runtime.settings
    if settings.backup_dir is None:
        return
    interval = settings.backup_interval_hours * 3600
    while True:
        newest = complete_backups(settings.backup_dir)
        age = (runtime.clock.now().timestamp() - newest[-1].stat().st_mtime) if newest else None
        if age is not None and age < interval:
            await runtime.clock.sleep(interval - age)
            continue
        try:
            made = await scheduled_backup_once(settings, runtime.clock)
            log.info("backup written: %s", made)
        except BackupError:
            log.exception("scheduled backup failed; trying again in an hour")
            await runtime.clock.sleep(3600)
