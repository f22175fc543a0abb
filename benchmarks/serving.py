"""The benches' one way to the assembled app (``dashboard.app``), serving it over HTTP, and the
settings of a bench's app on its own Mosquitto.

Bench modules import the app through here only (the import contract in pyproject.toml checks
it): the composition root stays the one place that knows every part.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from pydantic import SecretStr

from config.settings import Settings
from dashboard.serving import served
from devices import credentials
from runtime.clock import Clock
from runtime.context import Runtime

if TYPE_CHECKING:  # benchmarks.ingest itself opens its runtime through this module
    from benchmarks.ingest import Target

__all__ = ["bench_settings", "create_app", "open_runtime", "served"]


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """The whole app, as ``anxin serve`` builds it."""
    from dashboard import app  # the app includes the bench's own domains: import it late

    return app.create_app(settings, clock=clock)


def open_runtime(settings: Settings, clock: Clock) -> AbstractAsyncContextManager[Runtime]:
    """The database (migrated, seeded in demo mode) and the bus, without the web app."""
    from dashboard import app

    return app.open_runtime(settings, clock)


@contextmanager
def bench_settings(scratch: Path, **extra: Any) -> Iterator[tuple[Settings, Target]]:
    """A fresh Mosquitto in ``scratch`` and settings for an app on it (data in
    ``scratch/var``, fresh secrets, quiet logs, the simulated phone network)."""
    from benchmarks.ingest import bench_broker

    data_dir = scratch / "var"
    with bench_broker(scratch, None, credentials.service_password(data_dir)) as target:
        yield Settings(data_dir=data_dir, secret_key=SecretStr(secrets.token_urlsafe(40)),
                       biometric_key=SecretStr(secrets.token_urlsafe(40)),
                       mqtt_url=f"mqtt://{target.host}:{target.port}", demo_fleet_devices=0,
                       log_level="WARNING", telephony="simulator", **extra), target
