"""The devices domain's resources: the broker (embedded Mosquitto or external) and its
credential files, the ingest, and the dead-letter purge."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import Depends

from devices import credentials, dead_letters, ingest_processes, mosquitto, service
from devices.broker import EmbeddedBroker
from devices.exceptions import BrokerReloadError
from devices.ingest import BrokerAddress, Ingest, embedded_broker_dir
from devices.watch.commands import setup_contents
from devices.watch.gateway import WatchGateway
from devices.watch.uplink import Uplink
from runtime.context import Runtime
from runtime.deps import part_dependency
from runtime.parts import Part

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(hours=1)


@dataclass
class DevicesRuntime:
    """Where the broker is (the service's address, and the port devices use), its credential
    files, and the embedded broker when we run it."""

    address: BrokerAddress
    device_port: int | None = None  # the embedded broker's device listener (127.0.0.1)
    broker: EmbeddedBroker | None = None
    ingest: Ingest | None = None
    watches: WatchGateway | None = None  # the 3G watch TCP gateway, when ANXIN_WATCH_PORT is set
    mosquitto_dir: Path | None = None  # where the broker's password and ACL files are
    mosquitto_pid_file: Path | None = None

    async def refresh_credentials(self, runtime: Runtime) -> None:
        """Rewrite the broker's password and ACL files from the registry and make the broker
        re-read them: a new device gets in at once, and Mosquitto closes the connection of a
        device whose password no longer matches (retired, or given new credentials)."""
        if self.mosquitto_dir is None:
            return
        async with runtime.sessions() as session:
            users = await service.broker_users(session, service_password=self.address.password)
        await asyncio.to_thread(mosquitto.export, self.mosquitto_dir, users,
                                service_username=credentials.SERVICE_USERNAME)
        self._reload()

    def _reload(self) -> None:
        if self.broker is not None:
            self.broker.reload()
            return
        if self.mosquitto_pid_file is None:
            return
        try:
            mosquitto.signal_reload(self.mosquitto_pid_file)
        except BrokerReloadError as error:
            # The registry change stands; the files are current, only the reload is missing.
            log.error("Mosquitto did not reload its credentials: %s", error)


@asynccontextmanager
async def open_devices(runtime: Runtime) -> AsyncIterator[DevicesRuntime]:
    """Start the embedded Mosquitto, supervised, unless ANXIN_MQTT_URL names another broker.
    With ANXIN_MQTT_ENABLED=0 the part still opens, with no broker and no credential files."""
    settings = runtime.settings
    if not settings.mqtt_enabled:
        yield DevicesRuntime(address=BrokerAddress.from_settings(settings))
        return
    devices = DevicesRuntime(address=BrokerAddress.from_settings(settings),
                             mosquitto_dir=settings.mosquitto_dir,
                             mosquitto_pid_file=settings.mosquitto_pid_file)
    if not settings.mqtt_url:
        devices.broker = EmbeddedBroker(embedded_broker_dir(settings).resolve(),
                                        settings.mqtt_port)
        devices.mosquitto_dir = devices.broker.directory
        devices.device_port = settings.mqtt_port
    await devices.refresh_credentials(runtime)
    supervisor: asyncio.Task[None] | None = None
    if devices.broker is not None:
        await devices.broker.start()
        supervisor = asyncio.create_task(devices.broker.supervise(), name="mqtt-broker")
        log.info("embedded MQTT broker (Mosquitto) listening on 127.0.0.1:%d",
                 settings.mqtt_port)
    try:
        yield devices
    finally:
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        if devices.broker is not None:
            await devices.broker.stop()


DEVICES = Part("devices", open_devices)
DevicesDep = Annotated[DevicesRuntime, Depends(part_dependency(DEVICES))]


def devices_of(runtime: Runtime) -> DevicesRuntime:
    return runtime.part(DEVICES)


async def run_ingest(runtime: Runtime) -> None:
    """The app's ingest: on its own loop, or in ANXIN_MQTT_INGEST_PROCESSES child processes
    (off when ANXIN_MQTT_INGEST_IN_APP=0 runs it separately)."""
    settings = runtime.settings
    if not settings.mqtt_enabled or not settings.mqtt_ingest_in_app:
        return
    if settings.mqtt_ingest_processes:
        await ingest_processes.supervise(settings, settings.mqtt_ingest_processes)
        return
    devices = devices_of(runtime)
    devices.ingest = Ingest(sessions=runtime.sessions, clock=runtime.clock, bus=runtime.bus,
                            broker=devices.address, batch_size=settings.mqtt_ingest_batch_size,
                            stall_seconds=settings.mqtt_ingest_stall_seconds,
                            probe_seconds=settings.mqtt_ingest_stall_seconds / 4)
    await devices.ingest.run()


def watch_gateway(runtime: Runtime, address: BrokerAddress) -> WatchGateway:
    """The TCP gateway for 3G watches as the settings describe it."""
    settings = runtime.settings
    return WatchGateway(sessions=runtime.sessions, clock=runtime.clock, uplink=Uplink(address),
                        host=settings.watch_host, port=settings.watch_port or 0,
                        ack_timeout=settings.watch_ack_timeout_seconds,
                        setup=setup_contents(centre_line=settings.hotline_number,
                                             report_seconds=settings.watch_report_seconds))


async def run_watch_gateway(runtime: Runtime) -> None:
    """The 3G watch gateway in the app, when ANXIN_WATCH_PORT is set."""
    if not runtime.settings.mqtt_enabled or runtime.settings.watch_port is None:
        return
    devices = devices_of(runtime)
    devices.watches = watch_gateway(runtime, devices.address)
    await devices.watches.run()


async def purge_dead_letters(runtime: Runtime) -> None:
    """Every hour, delete dead letters older than 30 days."""
    while True:
        async with runtime.sessions() as session:
            purged = await service.purge_dead_letters(
                session, before=runtime.clock.now() - dead_letters.RETENTION)
            await session.commit()
        if purged:
            log.info("purged %d dead letters older than %d days", purged,
                     dead_letters.RETENTION.days)
        await runtime.clock.sleep(PURGE_EVERY.total_seconds())


async def run_demo_fleet(runtime: Runtime) -> None:
    """In demo mode, a few simulated devices keep the dashboard alive (one message a second)."""
    settings = runtime.settings
    devices = devices_of(runtime)
    if (devices.device_port is None or not settings.demo
            or settings.demo_fleet_devices == 0):
        # only on the embedded broker, whose device listener we know
        return
    from devices import simulator

    fleet = await simulator.ensure_fleet(runtime, count=settings.demo_fleet_devices,
                                         scenario="normal")
    await devices.refresh_credentials(runtime)
    while True:
        await simulator.run_fleet(fleet, host="127.0.0.1", port=devices.device_port, rate=1.0,
                                  seconds=3600)
