"""The app served by uvicorn on a free loopback port, for benchmarks that use it over HTTP, and
the settings of a bench's app on its own Mosquitto."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from config.settings import Settings
from devices import credentials, mosquitto
from devices.bench import Target, bench_broker


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[int]:
    """Serve ``app`` (its lifespan included) until the block ends; yields the port."""
    port = mosquitto.free_port()  # any free loopback port
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", ws_ping_interval=None))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers only this flag)
        await asyncio.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        await serving


@contextmanager
def bench_settings(scratch: Path, **extra: Any) -> Iterator[tuple[Settings, Target]]:
    """A fresh Mosquitto in ``scratch`` and settings for an app on it (data in
    ``scratch/var``, fresh secrets, quiet logs, the simulated phone network)."""
    data_dir = scratch / "var"
    with bench_broker(scratch, None, credentials.service_password(data_dir)) as target:
        yield Settings(data_dir=data_dir, secret_key=SecretStr(secrets.token_urlsafe(40)),
                       biometric_key=SecretStr(secrets.token_urlsafe(40)),
                       mqtt_url=f"mqtt://{target.host}:{target.port}", demo_fleet_devices=0,
                       log_level="WARNING", telephony="simulator", **extra), target
