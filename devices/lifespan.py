"""The devices domain's resources: the broker (embedded or external) and its credentials file."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

from devices import broker, credentials, ingest_processes, mosquitto, service
from devices.exceptions import BrokerReloadError
from devices.ingest import BrokerAddress, Ingest
from runtime.context import Runtime

log = logging.getLogger(__name__)


@dataclass
class DevicesRuntime:
    """Where the broker is, and the embedded broker's process when we run it."""

    address: BrokerAddress
    credentials_file: Path
    broker_process: BaseProcess | None = None
    ingest: Ingest | None = None
    mosquitto_dir: Path | None = None  # an external Mosquitto's password and ACL files
    mosquitto_pid_file: Path | None = None

    async def refresh_credentials(self, runtime: Runtime) -> None:
        """Rewrite the broker's credentials from the registry (new devices work at once): the
        embedded broker's file, and an external Mosquitto's files followed by a SIGHUP."""
        async with runtime.sessions() as session:
            users = await service.broker_users(session, service_password=self.address.password)
        await asyncio.to_thread(credentials.write_credentials_file, self.credentials_file, users)
        if self.mosquitto_dir is not None:
            await asyncio.to_thread(self._sync_mosquitto, self.mosquitto_dir, users)

    def _sync_mosquitto(self, directory: Path, users: list[credentials.BrokerUser]) -> None:
        mosquitto.export(directory, users, service_username=credentials.SERVICE_USERNAME)
        if self.mosquitto_pid_file is None:
            return
        try:
            mosquitto.signal_reload(self.mosquitto_pid_file)
        except BrokerReloadError as error:
            # The registry change stands; the files are current, only the reload is missing.
            log.error("Mosquitto did not reload its credentials: %s", error)


@asynccontextmanager
async def open_devices(runtime: Runtime) -> AsyncIterator[None]:
    """Start the embedded broker unless ANXIN_MQTT_URL names an external one."""
    settings = runtime.settings
    if not settings.mqtt_enabled:
        yield
        return
    devices = DevicesRuntime(address=BrokerAddress.from_settings(settings),
                             credentials_file=settings.data_dir / credentials.CREDENTIALS_FILE,
                             mosquitto_dir=settings.mosquitto_dir,
                             mosquitto_pid_file=settings.mosquitto_pid_file)
    await devices.refresh_credentials(runtime)
    if not settings.mqtt_url:
        devices.broker_process = await asyncio.to_thread(
            broker.start_broker, port=settings.mqtt_port,
            credentials_file=devices.credentials_file)
        log.info("embedded MQTT broker listening on 127.0.0.1:%d", settings.mqtt_port)
    runtime.devices = devices
    try:
        yield
    finally:
        runtime.devices = None
        if devices.broker_process is not None:
            await asyncio.to_thread(broker.stop_broker, devices.broker_process)


async def run_ingest(runtime: Runtime) -> None:
    """The app's ingest: on its own loop, or in ANXIN_MQTT_INGEST_PROCESSES child processes
    (off when ANXIN_MQTT_INGEST_IN_APP=0 runs it separately)."""
    if runtime.devices is None or not runtime.settings.mqtt_ingest_in_app:
        return
    if runtime.settings.mqtt_ingest_processes:
        await ingest_processes.supervise(runtime.settings, runtime.settings.mqtt_ingest_processes)
        return
    runtime.devices.ingest = Ingest(sessions=runtime.sessions, clock=runtime.clock,
                                    bus=runtime.bus, broker=runtime.devices.address,
                                    batch_size=runtime.settings.mqtt_ingest_batch_size)
    await runtime.devices.ingest.run()


async def run_demo_fleet(runtime: Runtime) -> None:
    """In demo mode, a few simulated devices keep the dashboard alive (one message a second)."""
    settings = runtime.settings
    if (runtime.devices is None or not settings.demo or settings.demo_fleet_devices == 0
            or (settings.mqtt_url and not settings.mosquitto_dir)):
        # an external broker learns new devices only from ANXIN_MOSQUITTO_DIR (or an export)
        return
    from devices import simulator

    fleet = await simulator.ensure_fleet(runtime, count=settings.demo_fleet_devices,
                                         scenario="normal")
    await runtime.devices.refresh_credentials(runtime)
    address = runtime.devices.address
    while True:
        await simulator.run_fleet(fleet, host=address.host, port=address.port, rate=1.0,
                                  seconds=3600)
