"""``anxin devices ...``, ``anxin simulate`` and ``anxin bench ingest``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

devices_app = typer.Typer(help="Wearables and home sensors over MQTT", no_args_is_help=True)


@devices_app.command("ingest")
def ingest() -> None:
    """Run the MQTT ingest as its own process (set ANXIN_MQTT_INGEST_IN_APP=0 for the app)."""
    from config.logging import configure_logging
    from dashboard.app import open_runtime
    from dashboard.cli import load_settings
    from devices.ingest import BrokerAddress, Ingest
    from runtime.clock import SystemClock

    settings = load_settings()
    configure_logging(settings.log_level)

    async def run() -> None:
        async with open_runtime(settings, SystemClock()) as runtime:
            await Ingest(sessions=runtime.sessions, clock=runtime.clock, bus=runtime.bus,
                         broker=BrokerAddress.from_settings(settings),
                         batch_size=settings.mqtt_ingest_batch_size).run()

    asyncio.run(run())


@devices_app.command("export-mosquitto")
def export_mosquitto(
    directory: Annotated[Path, typer.Argument(help="where to write passwords and acl")],
) -> None:
    """Write Mosquitto's password and ACL files from the device registry."""
    from dashboard.app import open_runtime
    from dashboard.cli import load_settings
    from devices import credentials, mosquitto, service
    from runtime.clock import SystemClock

    settings = load_settings()

    async def run() -> int:
        async with open_runtime(settings, SystemClock()) as runtime, runtime.sessions() as session:
            users = await service.broker_users(
                session, service_password=credentials.service_password(settings.data_dir))
        mosquitto.export(directory, users, service_username=credentials.SERVICE_USERNAME)
        return len(users)

    count = asyncio.run(run())
    typer.echo(f"wrote {directory / 'passwords'} ({count} users) and {directory / 'acl'}; "
               "send mosquitto SIGHUP to reload them")
