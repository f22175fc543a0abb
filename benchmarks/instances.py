"""Several app instances as separate processes (``anxin serve``) on one database and broker,
for the cluster bench and the two-instance test."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from accounts import service as accounts_service
from accounts.roles import Role
from devices import credentials, mosquitto
from devices.models import Device
from seniors import demo as seniors_demo
from seniors.models import Senior
from storage.engine import create_engine, create_sessionmaker
from storage.migrate import upgrade


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """What every instance of one cluster shares."""

    database_url: str
    workdir: Path
    secret_key: str = secrets.token_urlsafe(40)
    biometric_key: str = secrets.token_urlsafe(40)
    lease_seconds: float = 6.0

    def env(self, name: str, extra: Mapping[str, str]) -> dict[str, str]:
        return {**os.environ, "ANXIN_DATABASE_URL": self.database_url,
                "ANXIN_DATA_DIR": str(self.workdir / name), "ANXIN_DEMO": "false",
                "ANXIN_SECRET_KEY": self.secret_key, "ANXIN_BIOMETRIC_KEY": self.biometric_key,
                "ANXIN_TELEPHONY": "simulator", "ANXIN_LOG_LEVEL": "WARNING",
                "ANXIN_DEMO_FLEET_DEVICES": "0", "ANXIN_LOGIN_FAILURE_DELAY_SECONDS": "0",
                "ANXIN_LOGIN_RATE_BURST": "200",
                "ANXIN_CLUSTER_LEASE_SECONDS": str(self.lease_seconds), **extra}


@dataclass
class Process:
    """One child: an app instance or an ingest worker."""

    name: str
    popen: subprocess.Popen[bytes]
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no lease released, no connection closed cleanly."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_instance(config: ClusterConfig, name: str, extra: Mapping[str, str]) -> Process:
    """``anxin serve`` on a free loopback port; its output goes to NAME.log in the workdir."""
    port = mosquitto.free_port()
    return Process(name, _spawn(config, name, extra, ["serve", "--port", str(port)]), port)


def start_ingest_worker(config: ClusterConfig, number: int, extra: Mapping[str, str]) -> Process:
    """``anxin devices ingest --worker N``: one member of the shared subscription."""
    name = f"ingest-{number}"
    return Process(name, _spawn(config, name, extra, ["devices", "ingest", "--worker",
                                                      str(number)]))


def _spawn(config: ClusterConfig, name: str, extra: Mapping[str, str],
           arguments: list[str]) -> subprocess.Popen[bytes]:
    (config.workdir / name).mkdir(parents=True, exist_ok=True)
    log = (config.workdir / f"{name}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "dashboard", *arguments],
                            env=config.env(name, extra), stdout=log, stderr=subprocess.STDOUT)


async def readiness(process: Process) -> tuple[int, dict[str, Any]]:
    """The instance's /readyz answer (status code, body); (0, {}) while it does not answer."""
    try:
        async with httpx.AsyncClient(base_url=process.url, timeout=2) as http:
            answer = await http.get("/readyz")
    except httpx.HTTPError:
        return 0, {}
    body: dict[str, Any] = answer.json()
    return answer.status_code, body


async def until_ready(process: Process, *, holding: str | None = None,
                      within: float = 120.0) -> None:
    """Wait for /readyz 200 (and, if named, for the instance to hold that lease)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}")
        status, body = await readiness(process)
        if status == 200 and (holding is None or holding in body.get("leases", [])):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{process.name} not ready: {status} {body}")
        await asyncio.sleep(0.2)


def pendant_id(n: int) -> str:
    return f"sos-{n:05d}"


async def prepare_database(database_url: str, *, pendants: int, operators: list[str],
                           password: str, watches: int = 0,
                           dispatchers: tuple[str, ...] = ()) -> list[int]:
    """Migrate, then seed: seniors with a pendant each (``pendant_id``), ``watches`` watches
    with no senior (bench-NNNNN, telemetry only), operator and dispatcher accounts. The
    seniors' ids, in the pendants' order."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        now = datetime.now(UTC)
        async with create_sessionmaker(engine)() as session:
            await seniors_demo.seed_seniors(session, now=now, count=pendants)
            staff = [(name, Role.OPERATOR) for name in operators]
            for name, role in staff + [(name, Role.DISPATCHER) for name in dispatchers]:
                await accounts_service.create_user(session, username=name, display_name=name,
                                                   role=role, password=password, now=now)
            seniors = list(await session.scalars(select(Senior.id).order_by(Senior.id)))
            rows = [{"id": pendant_id(n), "model": "anxin-pendant", "senior_id": senior}
                    for n, senior in enumerate(seniors)]
            rows += [{"id": f"bench-{n:05d}", "model": "anxin-watch", "senior_id": None}
                     for n in range(watches)]
            password_hash = credentials.hash_password(credentials.new_password())
            for start in range(0, len(rows), 1000):
                await session.execute(insert(Device), [
                    {**row, "kind": "wearable", "location": "", "heartbeat_seconds": 3600,
                     "grace_seconds": 3600, "state": "active",
                     "mqtt_password_hash": password_hash, "created_at": now}
                    for row in rows[start:start + 1000]])
            await session.commit()
        return seniors
    finally:
        await engine.dispose()
