"""The embedded amqtt broker, run in a child process so its work never slows the web app."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import socket
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def broker_config(*, port: int, credentials_file: Path) -> dict[str, Any]:
    plugin_config = {"credentials_file": str(credentials_file)}
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {
            "devices.broker_plugins.RegistryAuthPlugin": plugin_config,
            "devices.broker_plugins.DeviceTopicPlugin": plugin_config,
        },
    }


def serve_broker(port: int, credentials_file: str) -> None:
    """Child-process entry: run the broker until terminated."""
    from amqtt.broker import Broker

    async def run() -> None:
        broker = Broker(broker_config(port=port, credentials_file=Path(credentials_file)))
        await broker.start()
        try:
            await asyncio.Event().wait()
        finally:
            await broker.shutdown()

    # The parent's readiness probe opens and closes a bare TCP connection; amqtt would log it.
    logging.getLogger("amqtt").setLevel(logging.CRITICAL)
    asyncio.run(run())


def start_broker(*, port: int, credentials_file: Path, timeout: float = 20.0) -> BaseProcess:
    """Start the broker process and return once it accepts connections."""
    process = multiprocessing.get_context("spawn").Process(
        target=serve_broker, args=(port, str(credentials_file)), name="anxin-mqtt-broker",
        daemon=True)
    process.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.is_alive():
            raise RuntimeError(f"embedded MQTT broker exited with code {process.exitcode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    stop_broker(process)
    raise RuntimeError(f"embedded MQTT broker did not listen on port {port} in {timeout} s")


def stop_broker(process: BaseProcess) -> None:
    process.terminate()
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()
