"""The ``anxin`` command: serve, db upgrade, demo seed; later domains add their commands."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn

from accounts import demo as accounts_demo
from backups.cli import backup_app, drill
from benchmarks import alarms as alarms_bench
from benchmarks import cluster as cluster_bench
from benchmarks import data as data_bench
from benchmarks import dispatch as dispatch_bench
from benchmarks import emergency as emergency_bench
from benchmarks import freeswitch as freeswitch_bench
from benchmarks import watches as watches_bench
from benchmarks import webhooks as webhooks_bench
from callcenter import cli as callcenter_cli
from callcenter.planning.cli import plan_app
from callcenter.routing import bench as routing_bench
from config.exceptions import InsecureSettingsError
from config.logging import configure_logging
from config.settings import Settings, prepare_secrets
from dashboard.devices_cli import bench_ingest, devices_app, simulate
from dashboard.hours_cli import hours_app
from liveness.cli import bench_liveness, liveness_app
from retention.cli import retention_app

app = typer.Typer(help="Anxin (安心) 12349 elderly-care call centre", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(plan_app, name="plan")
app.add_typer(devices_app, name="devices")
app.add_typer(backup_app, name="backup")
app.add_typer(retention_app, name="retention")
app.add_typer(hours_app, name="centre-hours")
app.command("drill")(drill)
app.command("simulate")(simulate)
bench_app = typer.Typer(help="Benchmarks: each prints one JSON line", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
bench_app.command("webhooks")(webhooks_bench.command)
bench_app.command("ivr")(callcenter_cli.bench_ivr)
bench_app.command("ingest")(bench_ingest)
bench_app.command("dispatch")(dispatch_bench.command)
bench_app.command("routing")(routing_bench.command)
bench_app.command("alarms")(alarms_bench.command)
bench_app.command("emergency")(emergency_bench.command)
bench_app.command("freeswitch")(freeswitch_bench.command)
bench_app.command("watches")(watches_bench.command)
bench_app.command("cluster")(cluster_bench.command)
bench_app.command("data")(data_bench.command)
demo_app.command("scale")(data_bench.scale_command)
app.add_typer(liveness_app, name="liveness")
bench_app.command("liveness")(bench_liveness)


def load_settings(**overrides: object) -> Settings:
    """Settings with secrets checked; a weak secret ends the command with a one-line reason."""
    try:
        return prepare_secrets(Settings(**overrides))  # type: ignore[arg-type]
    except InsecureSettingsError as error:
        typer.echo(f"anxin: refusing to start: {error}", err=True)
        raise typer.Exit(2) from error


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="overrides ANXIN_HTTP_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="overrides ANXIN_HTTP_PORT")] = None,
) -> None:
    """Start the whole system: web app, live feed and background work."""
    overrides = {k: v for k, v in {"http_host": host, "http_port": port}.items() if v is not None}
    settings = load_settings(**overrides)
    configure_logging(settings.log_level)
    from dashboard.app import create_app

    application = create_app(settings)
    shown_host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "::") else settings.http_host
    typer.echo(f"Anxin dashboard: http://{shown_host}:{settings.http_port}/")
    if settings.demo:
        password = accounts_demo.demo_password(settings)
        logins = ", ".join(account[0] for account in accounts_demo.DEMO_ACCOUNTS)
        typer.echo(f"Demo logins: {logins} — password: {password}")
    uvicorn.run(application, host=settings.http_host, port=settings.http_port,
                log_level=settings.log_level.lower(), ws_ping_interval=settings.live_ping_seconds,
                ws_ping_timeout=settings.live_ping_seconds)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    from storage.engine import settings_engine
    from storage.migrate import upgrade

    settings = Settings()

    async def run() -> None:
        engine = settings_engine(settings)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    typer.echo("database is at the newest revision")


@demo_app.command("seed")
def demo_seed() -> None:
    """Seed demo accounts and seniors into the configured database."""
    from dashboard.app import open_runtime
    from runtime.clock import SystemClock

    settings = load_settings(demo=True)

    async def run() -> None:
        async with open_runtime(settings, SystemClock()):
            pass  # opening the runtime in demo mode seeds what is missing

    asyncio.run(run())
    typer.echo(f"demo data ready; password for every demo account: "
               f"{accounts_demo.demo_password(settings)}")


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Argument(help="what the migration does")],
    rev_id: Annotated[str, typer.Option(help="revision id, e.g. 0003_alarms")],
    head: Annotated[str, typer.Option(help="parent revision or branch@head")] = "heads",
    branch_label: Annotated[str | None, typer.Option(help="start a domain branch")] = None,
) -> None:
    """Autogenerate a migration from the models against a scratch database (for developers)."""
    import tempfile
    from pathlib import Path

    from alembic import command

    from storage.engine import create_engine
    from storage.migrate import alembic_config, upgrade

    async def run() -> None:
        with tempfile.TemporaryDirectory() as scratch:
            url = f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}"
            engine = create_engine(url)
            await upgrade(engine)
            async with engine.begin() as connection:
                await connection.run_sync(lambda sync: _revision(sync, url))
            await engine.dispose()

    def _revision(connection: object, url: str) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True, rev_id=rev_id, head=head,
                         branch_label=branch_label, splice=branch_label is not None)

    asyncio.run(run())
