"""``anxin devices ...``, ``anxin simulate`` and ``anxin bench ingest``: commands that open the
whole runtime, so they live in the composition root."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from benchmarks.database import DatabaseUrlOption, PostgresOption

devices_app = typer.Typer(help="Wearables and home sensors over MQTT", no_args_is_help=True)


@devices_app.command("ingest")
def ingest(
    worker: Annotated[int | None, typer.Option(
        help="run as worker N of a shared subscription (client id anxin-ingest-N)", min=1)
    ] = None,
) -> None:
    """Run the MQTT ingest as its own process (set ANXIN_MQTT_INGEST_IN_APP=0 for the app)."""
    from config.logging import configure_logging
    from dashboard.app import open_runtime
    from dashboard.cli import load_settings
    from devices.ingest import BrokerAddress, Ingest
    from devices.notices import run_with_notices
    from runtime.clock import SystemClock

    settings = load_settings()
    configure_logging(settings.log_level)

    async def run() -> None:
        async with open_runtime(settings, SystemClock()) as runtime:
            # The notices wake the app's rules feed as soon as new events are stored.
            await run_with_notices(Ingest(
                sessions=runtime.sessions, clock=runtime.clock, bus=runtime.bus,
                broker=BrokerAddress.from_settings(settings),
                batch_size=settings.mqtt_ingest_batch_size,
                stall_seconds=settings.mqtt_ingest_stall_seconds,
                probe_seconds=settings.mqtt_ingest_stall_seconds / 4,
                client_id="anxin-ingest" if worker is None else f"anxin-ingest-{worker}",
                share_group=None if worker is None else "anxin-ingest"))

    asyncio.run(run())


@devices_app.command("watch-gateway")
def watch_gateway() -> None:
    """Run the TCP gateway for 3G watches as its own process (ANXIN_WATCH_PORT, default 5093;
    ANXIN_WATCH_HOST, default 127.0.0.1). See docs/mqtt.md "Watches over TCP"."""
    from config.logging import configure_logging
    from dashboard.app import open_runtime
    from dashboard.cli import load_settings
    from devices.ingest import BrokerAddress
    from devices.lifespan import watch_gateway as build_gateway
    from devices.watch.gateway import DEFAULT_PORT
    from runtime.clock import SystemClock

    settings = load_settings()
    if settings.watch_port is None:
        settings = settings.model_copy(update={"watch_port": DEFAULT_PORT})
    configure_logging(settings.log_level)

    async def run() -> None:
        async with open_runtime(settings, SystemClock()) as runtime:
            await build_gateway(runtime, BrokerAddress.from_settings(settings)).run()

    asyncio.run(run())


@devices_app.command("export-mosquitto")
def export_mosquitto(
    directory: Annotated[Path, typer.Argument(help="where to write passwords and acl")],
) -> None:
    """Write Mosquitto's password and ACL files from the device registry (device listener and
    service listener, see docs/operations.md)."""
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
    typer.echo(f"wrote passwords and acl (devices), service-passwords and service-acl (the "
               f"service) in {directory} ({count} users); send mosquitto SIGHUP to reload them")


def simulate(
    devices: Annotated[int, typer.Option(help="how many devices", min=1)] = 20,
    rate: Annotated[float, typer.Option(help="messages per second, whole fleet", min=0.1)] = 10,
    seconds: Annotated[float, typer.Option(help="how long to run", min=1)] = 60,
    scenario: Annotated[str, typer.Option(help="normal|sos|fall|wander|inactivity|offline|mixed")
                        ] = "normal",
    mqtt_url: Annotated[str | None, typer.Option(help="broker, default ANXIN_MQTT_URL or the "
                                                      "embedded one")] = None,
    protocol: Annotated[str, typer.Option(help="mqtt (the contract) or watch (3G watches over "
                                               "TCP to the gateway)")] = "mqtt",
    watch_port: Annotated[int | None, typer.Option(help="the watch gateway's port, default "
                                                        "ANXIN_WATCH_PORT or 5093")] = None,
) -> None:
    """Provision (or reuse) a fleet for the demo seniors and publish realistic traffic.
    With ``--protocol watch`` the scenarios are normal, sos, fall, wander, off_wrist, mixed."""
    if protocol == "watch":
        simulate_watches(devices=devices, rate=rate, seconds=seconds, scenario=scenario,
                         port=watch_port)
        return
    if protocol != "mqtt":
        raise typer.BadParameter("protocol must be mqtt or watch")
    from urllib.parse import urlsplit

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from dashboard.app import open_runtime
    from dashboard.cli import load_settings
    from devices import simulator
    from devices.ingest import BrokerAddress, embedded_broker_dir
    from devices.lifespan import DevicesRuntime
    from runtime.clock import SystemClock

    if scenario not in simulator.SCENARIO_NAMES:
        raise typer.BadParameter(f"scenario must be one of {', '.join(simulator.SCENARIO_NAMES)}")
    settings = load_settings()
    # Devices use the broker's device listener: the embedded one's port, or the URL given.
    url = urlsplit(mqtt_url or settings.mqtt_url or f"mqtt://127.0.0.1:{settings.mqtt_port}")

    async def run() -> int:
        async with open_runtime(settings, SystemClock()) as runtime:
            fleet = await simulator.ensure_fleet(runtime, count=devices, scenario=scenario)
            if not settings.mqtt_url:
                # The embedded Mosquitto of a running `anxin serve`: new files, then SIGHUP.
                directory = embedded_broker_dir(settings).resolve()
                await DevicesRuntime(BrokerAddress.from_settings(settings),
                                     mosquitto_dir=directory,
                                     mosquitto_pid_file=directory / "mosquitto.pid"
                                     ).refresh_credentials(runtime)
        with Progress(TextColumn(f"[bold]{devices} devices · {scenario}"), BarColumn(),
                      MofNCompleteColumn(), TextColumn("messages"), TimeElapsedColumn(),
                      TimeRemainingColumn()) as progress:
            task = progress.add_task("publishing", total=int(rate * seconds))
            return await simulator.run_fleet(
                fleet, host=url.hostname or "127.0.0.1", port=url.port or 1883, rate=rate,
                seconds=seconds, on_sent=lambda n: progress.advance(task, n))

    sent = asyncio.run(run())
    typer.echo(f"sent {sent} messages from {devices} devices")


def simulate_watches(*, devices: int, rate: float, seconds: float, scenario: str,
                     port: int | None) -> None:
    """3G watches over TCP to the gateway of a running ``anxin serve`` (or watch-gateway)."""
    from dashboard.app import open_runtime
    from dashboard.cli import load_settings
    from devices.watch import simulator
    from devices.watch.gateway import DEFAULT_PORT
    from runtime.clock import SystemClock

    if scenario not in simulator.WATCH_SCENARIO_NAMES:
        raise typer.BadParameter(
            f"scenario must be one of {', '.join(simulator.WATCH_SCENARIO_NAMES)}")
    settings = load_settings()

    async def run() -> int:
        async with open_runtime(settings, SystemClock()) as runtime:
            watches = await simulator.ensure_watches(runtime, count=devices, scenario=scenario)
        return await simulator.run_watches(
            watches, host="127.0.0.1", port=port or settings.watch_port or DEFAULT_PORT,
            rate=rate, seconds=seconds)

    sent = asyncio.run(run())
    typer.echo(f"sent {sent} frames from {devices} watches")


def bench_ingest(
    devices: Annotated[int, typer.Option(min=1)] = 10_000,
    rate: Annotated[float, typer.Option(help="offered messages per second", min=1)] = 2000,
    seconds: Annotated[float, typer.Option(min=1)] = 30,
    publishers: Annotated[int, typer.Option(help="publisher processes", min=1)] = 2,
    workers: Annotated[int, typer.Option(help="ingest workers on a shared subscription", min=1)
                       ] = 1,
    backlog: Annotated[int | None, typer.Option(help="phase-2 backlog (default: as sent)")
                       ] = None,
    drain_workers: Annotated[int, typer.Option(
        help="phase 2: ingest processes draining the backlog on a shared subscription", min=1)
                             ] = 1,
    mqtt_url: Annotated[str | None, typer.Option(help="use this broker, not a fresh Mosquitto")
                        ] = None,
    database_url: DatabaseUrlOption = None,
    postgres: PostgresOption = False,
) -> None:
    """Measure the MQTT ingest; prints one JSON line (see docs/benchmarks.md)."""
    import json
    import logging

    from benchmarks.database import bench_database
    from benchmarks.ingest import run_bench

    logging.basicConfig(level=logging.WARNING)
    with bench_database(database_url, postgres=postgres) as url:
        result = asyncio.run(run_bench(devices=devices, rate=rate, seconds=seconds,
                                       publishers=publishers, mqtt_url=mqtt_url,
                                       backlog=backlog, workers=workers,
                                       drain_workers=drain_workers, database_url=url))
    typer.echo(json.dumps(result, ensure_ascii=False))
