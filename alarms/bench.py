"""``anxin bench alarms``: from a device's publish to the alarm on a live-feed WebSocket.

The whole system runs as it does in production, in this process: the app under uvicorn with its
in-app ingest, the rules feed and the live feed, against a Mosquitto started for the run.
Publisher processes offer mixed traffic (vitals telemetry, with 1 % SOS events whose event id
carries the send time); a WebSocket client logged in as a supervisor receives every alarm
update, and the latency is arrival time minus send time.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import uvicorn
import websockets
from pydantic import SecretStr
from sqlalchemy import insert, select

from config.settings import Settings
from devices import credentials
from devices.bench import Target, bench_broker, percentile, run_publishers
from devices.models import Device
from runtime.context import Runtime
from seniors.models import Senior

ALARM_SHARE = 0.01


def alarm_mix(seq: int, device_id: str) -> tuple[str, bytes]:
    """Vitals telemetry, and every 100th message an SOS whose event id carries its send time."""
    now = time.time()
    if seq % round(1 / ALARM_SHARE) == 0:
        body: dict[str, Any] = {"event_id": f"b{seq}-{now:.6f}", "type": "sos",
                                "ts": _iso(now)}
        return f"anxin/v1/devices/{device_id}/event", json.dumps(body).encode()
    body = {"ts": _iso(now), "seq": seq, "values": {"heart_rate": 62 + seq % 30,
                                                     "spo2": 96 + seq % 3}}
    return f"anxin/v1/devices/{device_id}/telemetry", json.dumps(body).encode()


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat()


async def _register_fleet(runtime: Runtime, devices: int) -> None:
    """Watches spread over the demo seniors, inserted in bulk."""
    async with runtime.sessions() as session:
        seniors = list((await session.execute(select(Senior.id))).scalars())
        password_hash = credentials.hash_password(credentials.new_password())
        rows = [{"id": f"bench-{n:05d}", "model": "anxin-watch", "kind": "wearable",
                 "senior_id": seniors[n % len(seniors)], "location": "",
                 "heartbeat_seconds": 60, "grace_seconds": 120, "state": "active",
                 "mqtt_password_hash": password_hash, "created_at": runtime.clock.now()}
                for n in range(devices)]
        for start in range(0, len(rows), 2000):
            await session.execute(insert(Device), rows[start:start + 2000])
        await session.commit()


async def _listen(url: str, token: str, latencies: list[float], ready: asyncio.Event) -> None:
    async with websockets.connect(url, additional_headers={
            "Authorization": f"Bearer {token}"}, max_queue=None) as socket:
        await socket.recv()  # the snapshot
        ready.set()
        async for raw in socket:
            arrived = time.time()
            message = json.loads(raw)
            if message.get("topic", "").startswith("alarm.") and message["topic"] != \
                    "alarm.escalated":
                event_id = str(message["data"].get("details", {}).get("event_id", ""))
                if event_id.startswith("b") and "-" in event_id:
                    latencies.append(arrived - float(event_id.split("-", 1)[1]))


async def run(*, devices: int, rate: float, seconds: float, publishers: int) -> dict[str, Any]:
    from dashboard.app import create_app

    with tempfile.TemporaryDirectory(prefix="anxin-alarm-bench-") as scratch:
        workdir = Path(scratch)
        password = secrets.token_urlsafe(12)
        data_dir = workdir / "var"
        with bench_broker(workdir, None, credentials.service_password(data_dir)) as target:
            settings = Settings(data_dir=data_dir, demo=True, demo_password=SecretStr(password),
                                secret_key=SecretStr(secrets.token_urlsafe(40)),
                                mqtt_url=f"mqtt://{target.host}:{target.port}",
                                demo_fleet_devices=0, log_level="WARNING")
            app = create_app(settings)
            port = _free_port()
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                   log_level="warning", ws_ping_interval=None))
            serving = asyncio.create_task(server.serve())
            while not server.started:  # noqa: ASYNC110 (uvicorn offers only this flag)
                await asyncio.sleep(0.05)
            try:
                return await _measure(app.state.runtime, target, port, password,
                                      devices=devices, rate=rate, seconds=seconds,
                                      publishers=publishers)
            finally:
                server.should_exit = True
                await serving


async def _measure(runtime: Runtime, target: Target, port: int, password: str, *,
                   devices: int, rate: float, seconds: float, publishers: int
                   ) -> dict[str, Any]:
    await _register_fleet(runtime, devices)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        login = await http.post("/api/v1/auth/login",
                                json={"username": "supervisor1", "password": password})
        token = login.json()["access_token"]
    latencies: list[float] = []
    ready = asyncio.Event()
    listener = asyncio.create_task(_listen(f"ws://127.0.0.1:{port}/api/v1/live", token,
                                           latencies, ready))
    await asyncio.wait_for(ready.wait(), 30)
    sent = await asyncio.to_thread(run_publishers, target, publishers=publishers,
                                   devices=devices, rate=rate, seconds=seconds, make=alarm_mix)
    expected = -(-sent // round(1 / ALARM_SHARE))  # about 1 % of what was sent
    deadline = time.time() + 30
    while len(latencies) < expected and time.time() < deadline:  # noqa: ASYNC110 (draining)
        await asyncio.sleep(0.2)
    listener.cancel()
    await asyncio.gather(listener, return_exceptions=True)
    return {"bench": "alarms", "devices": devices, "offered_msg_s": round(sent / seconds, 1),
            "alarm_events": expected, "alarms_seen": len(latencies),
            "publish_to_feed_ms": {"p50": percentile(latencies, 0.5),
                                   "p95": percentile(latencies, 0.95),
                                   "p99": percentile(latencies, 0.99)},
            "target_p99_ms": 300}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def command(
    devices: Annotated[int, typer.Option(min=1)] = 2000,
    rate: Annotated[float, typer.Option(min=1)] = 2000,
    seconds: Annotated[float, typer.Option(min=1)] = 30,
    publishers: Annotated[int, typer.Option(min=1)] = 2,
) -> None:
    """Publish → alarm on a live-feed WebSocket, at a mixed load with 1 % SOS; one JSON line."""
    typer.echo(json.dumps(asyncio.run(run(devices=devices, rate=rate, seconds=seconds,
                                          publishers=publishers))))
