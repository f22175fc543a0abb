"""The app served by uvicorn on a free loopback port (dashboard/serving.py), for benchmarks that
use it over HTTP, and the settings of a bench's app on its own Mosquitto."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from config.settings import Settings
from dashboard.serving import served
from devices import credentials
from devices.bench import Target, bench_broker

__all__ = ["bench_settings", "served"]


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
