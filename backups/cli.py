"""``anxin backup create|restore|list`` and ``anxin drill``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from backups import archive
from backups.exceptions import BackupError

backup_app = typer.Typer(help="Encrypted backups of the database, and restores",
                         no_args_is_help=True)


@backup_app.command("create")
def create(
    to: Annotated[Path | None, typer.Option(help="folder; default ANXIN_BACKUP_DIR or "
                                                 "DATA_DIR/backups")] = None,
) -> None:
    """Back up the configured database now (safe while the app runs)."""
    from backups import flows
    from dashboard.cli import load_settings
    from runtime.clock import SystemClock

    settings = load_settings()
    try:
        path = asyncio.run(flows.create_backup(
            url=settings.resolved_database_url, to=to or flows.default_dir(settings),
            key=flows.backup_key(settings), now=SystemClock().now()))
    except BackupError as error:
        typer.echo(f"anxin: backup failed: {error}", err=True)
        raise typer.Exit(1) from error
    manifest = archive.read_manifest(path)
    typer.echo(f"{path} ({sum(manifest.counts.values())} rows in {len(manifest.counts)} "
               f"tables, schema {', '.join(manifest.revisions)})")


@backup_app.command("restore")
def restore(file: Annotated[Path, typer.Argument(help="an .anxbak file", exists=True,
                                                 dir_okay=False)]) -> None:
    """Restore FILE into the configured, empty data directory or database."""
    from backups import flows
    from dashboard.cli import load_settings

    settings = load_settings()
    try:
        restored = asyncio.run(flows.restore_backup(
            path=file, url=settings.resolved_database_url, key=flows.backup_key(settings)))
    except BackupError as error:
        typer.echo(f"anxin: restore refused: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"restored {file.name} (made {restored.manifest.created_at}): "
               f"{sum(restored.manifest.counts.values())} rows, counts match the manifest")


@backup_app.command("show")
def show(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Check FILE's checksum and print its manifest (no key needed)."""
    try:
        manifest = archive.read_manifest(file)
    except BackupError as error:
        typer.echo(f"anxin: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(manifest.to_bytes().decode())


def drill(
    backup: Annotated[Path | None, typer.Option(help="this file instead of the newest")] = None,
) -> None:
    """Restore the newest backup into a scratch place, start the app on it, check the counts,
    raise and handle a test alarm, and record the drill."""
    from dashboard.cli import load_settings
    from dashboard.drill import run_drill

    settings = load_settings()
    report = asyncio.run(run_drill(settings, backup=backup))
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    if report.outcome != "passed":
        raise typer.Exit(1)
