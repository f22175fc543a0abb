"""``anxin bench alarms``: from a device's publish to the alarm on a live-feed WebSocket.

The whole system runs as it does in production: the app under uvicorn in this process, with
its ingest in child processes (``--ingest-processes``, 0 for the app's own loop), the rules
feed and the live feed, against a Mosquitto started for the run. Publisher processes offer
mixed traffic (vitals telemetry, with 1 % SOS events whose event id carries the send time); a
WebSocket client logged in as a supervisor receives every alarm update, and each SOS's latency
is the arrival of the first update that includes it minus its send time. CPU time is reported
per process, because wall-clock figures on a shared machine say more about the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import psutil
import typer
import websockets
from pydantic import SecretStr
from sqlalchemy import insert, select

from benchmarks.database import (
    DatabaseUrlOption,
    PostgresOption,
    backend_name,
    bench_database,
)
from benchmarks.ingest import Target, bench_broker, percentile
from benchmarks.serving import create_app, served
from config.settings import Settings
from devices import credentials
from devices.lifespan import devices_of
from devices.models import Device, StoredDeviceEvent
from runtime.context import Runtime
from seniors.models import Senior

ALARM_SHARE = 0.01


def alarm_mix(seq: int, devices: int) -> tuple[str, bytes]:
    """Vitals telemetry from device ``seq % devices``, and every 100th message an SOS whose
    event id carries its send time. The SOS go round the devices one after the other, so they
    come from every senior in turn (as on a real hotline), not from the few devices whose
    number is a multiple of 100."""
    now = time.time()
    every = round(1 / ALARM_SHARE)
    if seq % every == 0:
        body: dict[str, Any] = {"event_id": f"b{seq}-{now:.6f}", "type": "sos",
                                "ts": _iso(now)}
        device_id = f"bench-{(seq // every) % devices:05d}"
        return f"anxin/v1/devices/{device_id}/event", json.dumps(body).encode()
    body = {"ts": _iso(now), "seq": seq, "values": {"heart_rate": 62 + seq % 30,
                                                     "spo2": 96 + seq % 3}}
    return f"anxin/v1/devices/bench-{seq % devices:05d}/telemetry", json.dumps(body).encode()


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat()


def publish_process(target: Target, index: int, publishers: int, devices: int, rate: float,
                    seconds: float, results: Any) -> None:
    """Child process: this publisher's share of the sequence numbers, at its rate, QoS 1.

    paho's own network thread instead of an asyncio task per message: the load generator
    then costs a fraction of the system it measures, which matters on a 2-core machine."""
    from paho.mqtt.client import Client
    from paho.mqtt.enums import CallbackAPIVersion

    username, password = target.publisher
    client = Client(CallbackAPIVersion.VERSION2,
                    client_id=f"anxin-alarm-bench-pub-{index}-{secrets.token_hex(3)}")
    client.username_pw_set(username, password)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(target.host, target.port)
    client.loop_start()
    sent, seq, started, cpu = 0, index, time.monotonic(), time.process_time()
    pending = []
    while (elapsed := time.monotonic() - started) < seconds:
        for _ in range(int(elapsed * rate) - sent):
            topic, payload = alarm_mix(seq, devices)
            pending.append(client.publish(topic, payload, qos=1))
            seq += publishers
            sent += 1
        time.sleep(0.005)
    for info in pending:
        info.wait_for_publish(30)
    client.loop_stop()
    client.disconnect()
    results.put((sent, time.process_time() - cpu))


def run_publishers(target: Target, *, publishers: int, devices: int, rate: float,
                   seconds: float) -> tuple[int, float]:
    """Publisher processes offering ``rate`` msg/s between them; returns how many they sent
    and the CPU seconds they used doing it (start-up excluded)."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=publish_process, args=(
        target, i, publishers, devices, rate / publishers, seconds, results))
        for i in range(publishers)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    return sum(sent for sent, _ in outcomes), sum(cpu for _, cpu in outcomes)


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


@dataclass(frozen=True)
class FeedUpdate:
    """An SOS alarm update as the live-feed client saw it: when, whose, and the newest SOS it
    includes (its send time, from the event id)."""

    arrived: float
    senior_id: int
    newest_sent: float


async def _listen(url: str, token: str, updates: list[FeedUpdate], ready: asyncio.Event
                  ) -> None:
    async with websockets.connect(url, additional_headers={
            "Authorization": f"Bearer {token}"}, max_queue=None) as socket:
        await socket.recv()  # the snapshot
        ready.set()
        async for raw in socket:
            arrived = time.time()
            message = json.loads(raw)
            if message.get("topic") not in ("alarm.raised", "alarm.updated"):
                continue
            data = message["data"]
            sent = _sent_at(str(data.get("details", {}).get("event_id", "")))
            if data.get("kind") == "sos" and sent is not None:
                updates.append(FeedUpdate(arrived, int(data["senior_id"]), sent))


def _sent_at(event_id: str) -> float | None:
    """The send time a bench event id carries (``b<seq>-<epoch seconds>``)."""
    if not event_id.startswith("b") or "-" not in event_id:
        return None
    return float(event_id.split("-", 1)[1])


def latencies(stored: list[StoredSos], updates: list[FeedUpdate]) -> list[float]:
    """For each SOS (senior, send time): from its send to the first feed update of that
    senior's alarm that includes it. Several SOS of one senior handled in one rules batch are
    announced as one update carrying the newest; that update is also the older ones' arrival."""
    by_senior: dict[int, list[FeedUpdate]] = {}
    for update in sorted(updates, key=lambda u: u.arrived):
        by_senior.setdefault(update.senior_id, []).append(update)
    found = []
    for sos in stored:
        first = next((u for u in by_senior.get(sos.senior_id, []) if u.newest_sent >= sos.sent),
                     None)
        if first is not None:
            found.append(first.arrived - sos.sent)
    return found


@dataclass(frozen=True)
class StoredSos:
    """A bench SOS as the ingest stored it."""

    senior_id: int
    sent: float
    received: float  # when the ingest's batch holding it began
    # When the rules feed looked at it, in the transaction that raised or updated its alarm.
    processed: float | None = None


async def _stored_sos(runtime: Runtime) -> list[StoredSos]:
    """Every bench SOS the ingest stored."""
    async with runtime.sessions() as session:
        rows = await session.execute(select(StoredDeviceEvent.senior_id,
                                            StoredDeviceEvent.event_id,
                                            StoredDeviceEvent.received_at,
                                            StoredDeviceEvent.processed_at))
    return [StoredSos(int(senior_id), sent, received_at.timestamp(),
                      processed_at.timestamp() if processed_at else None)
            for senior_id, event_id, received_at, processed_at in rows
            if senior_id is not None and (sent := _sent_at(event_id)) is not None]


def stage_split(stored: list[StoredSos], updates: list[FeedUpdate]) -> dict[str, list[float]]:
    """Where each SOS's time went after the ingest: from the start of the ingest's batch to
    the rules feed's look (its wake-up, the readings batch it was in, the rules), and from
    there to the first feed update that includes it (the commit, the event log's append and
    wake-up, the read, the WebSocket)."""
    to_rules: list[float] = []
    to_feed: list[float] = []
    for sos in stored:
        if sos.processed is None:
            continue
        to_rules.append(sos.processed - sos.received)
        arrival = latencies([sos], updates)
        if arrival:
            to_feed.append(sos.sent + arrival[0] - sos.processed)
    return {"ingest_to_rules_ms": to_rules, "rules_to_feed_ms": to_feed}


async def run(*, devices: int, rate: float, seconds: float, publishers: int,
              ingest_processes: int, database_url: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="anxin-alarm-bench-") as scratch:
        workdir = Path(scratch)
        password = secrets.token_urlsafe(12)
        data_dir = workdir / "var"
        with bench_broker(workdir, None, credentials.service_password(data_dir)) as target:
            settings = Settings(data_dir=data_dir, demo=True, demo_password=SecretStr(password),
                                secret_key=SecretStr(secrets.token_urlsafe(40)),
                                mqtt_url=f"mqtt://{target.host}:{target.port}",
                                mqtt_ingest_processes=ingest_processes,
                                database_url=database_url,
                                demo_fleet_devices=0, log_level="WARNING")
            app = create_app(settings)
            async with served(app) as port:
                result = await _measure(app.state.runtime, target, port, password,
                                        devices=devices, rate=rate, seconds=seconds,
                                        publishers=publishers)
            return {"bench": "alarms", "database": backend_name(database_url),
                    "ingest_processes": ingest_processes, **result}


class StageClock:
    """CPU seconds spent by each part of the system between ``start`` and ``stop``: this
    process (web app, rules feed, live feed, the bench's WebSocket client, and the ingest when
    it runs in the app), the ingest processes and the broker; the publishers report their own."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.children: dict[str, list[psutil.Process]] = {"ingest": [], "broker": []}
        self.begin: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def _cpu(self, stage: str) -> float:
        total = 0.0
        for process in self.children[stage]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def start(self) -> None:
        for child in self.me.children():
            with contextlib.suppress(psutil.Error):
                command_line = " ".join(child.cmdline())
                if "mosquitto" in command_line:
                    self.children["broker"].append(child)
                elif "spawn_main" in command_line and "resource_tracker" not in command_line:
                    self.children["ingest"].append(child)
        self.begin = {"app": time.process_time(), "ingest": self._cpu("ingest"),
                      "broker": self._cpu("broker")}

    def stop(self) -> None:
        self.used["app"] = time.process_time() - self.begin["app"]
        for stage in ("ingest", "broker"):
            self.used[stage] = self._cpu(stage) - self.begin[stage]

    def per_thousand(self, messages: int) -> dict[str, float]:
        """Milliseconds of CPU per 1,000 messages, per stage."""
        return {stage: round(seconds * 1e6 / max(messages, 1), 1)
                for stage, seconds in self.used.items()}


async def _measure(runtime: Runtime, target: Target, port: int, password: str, *,
                   devices: int, rate: float, seconds: float, publishers: int
                   ) -> dict[str, Any]:
    await _register_fleet(runtime, devices)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        login = await http.post("/api/v1/auth/login",
                                json={"username": "supervisor1", "password": password})
        token = login.json()["access_token"]
    updates: list[FeedUpdate] = []
    ready = asyncio.Event()
    listener = asyncio.create_task(_listen(f"ws://127.0.0.1:{port}/api/v1/live", token,
                                           updates, ready))
    await asyncio.wait_for(ready.wait(), 30)
    await _wait_ingest_connected(runtime)
    stages = StageClock()
    stages.start()
    load_before = os.getloadavg()[0]
    sent, stages.used["publishers"] = await asyncio.to_thread(
        run_publishers, target, publishers=publishers, devices=devices, rate=rate,
        seconds=seconds)
    expected = len(range(0, sent, round(1 / ALARM_SHARE)))  # about 1 % of what was sent
    deadline = time.time() + 30
    while time.time() < deadline:  # until every SOS is stored and seen on the feed
        stored = await _stored_sos(runtime)
        if len(stored) >= expected and len(latencies(stored, updates)) >= len(stored):
            break
        await asyncio.sleep(0.5)
    stages.stop()
    listener.cancel()
    await asyncio.gather(listener, return_exceptions=True)
    stored = await _stored_sos(runtime)
    found = latencies(stored, updates)
    return {"devices": devices, "offered_msg_s": round(sent / seconds, 1),
            "alarm_events": len(stored), "alarms_seen": len(found),
            "feed_updates": len(updates),
            "publish_to_feed_ms": _percentiles(found),
            # the ingest's share: from the publish to the start of the batch that stored it
            "publish_to_ingest_ms": _percentiles([sos.received - sos.sent for sos in stored]),
            **{name: _percentiles(values) for name, values in stage_split(stored, updates).items()},
            "cpu_ms_per_1000_msgs": stages.per_thousand(sent),
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "target_p99_ms": 300}


def _percentiles(values: list[float]) -> dict[str, float | None]:
    return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95),
            "p99": percentile(values, 0.99)}


async def _wait_ingest_connected(runtime: Runtime) -> None:
    """Until the ingest's session is subscribed: in the app, or in its child processes (their
    subscriptions are persistent, so a short pause after start-up is enough)."""
    devices = devices_of(runtime)
    if devices.ingest is not None:
        await asyncio.wait_for(devices.ingest.connected.wait(), 30)
    else:
        await asyncio.sleep(3)


def command(
    devices: Annotated[int, typer.Option(min=1)] = 2000,
    rate: Annotated[float, typer.Option(min=1)] = 2000,
    seconds: Annotated[float, typer.Option(min=1)] = 30,
    publishers: Annotated[int, typer.Option(min=1)] = 2,
    ingest_processes: Annotated[int, typer.Option(
        min=0, help="ingest child processes of the app (0: the ingest runs on the app's loop)")
    ] = 1,
    database_url: DatabaseUrlOption = None,
    postgres: PostgresOption = False,
) -> None:
    """Publish → alarm on a live-feed WebSocket, at a mixed load with 1 % SOS; one JSON line."""
    with bench_database(database_url, postgres=postgres) as url:
        result = asyncio.run(run(devices=devices, rate=rate, seconds=seconds,
                                 publishers=publishers, ingest_processes=ingest_processes,
                                 database_url=url))
    typer.echo(json.dumps(result))
