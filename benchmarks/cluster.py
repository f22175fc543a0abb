"""``anxin bench cluster``: two app instances, two ingest workers, one PostgreSQL and one
Mosquitto on this machine; a telemetry burst with 1 % SOS, then a second burst during which the
instance holding the leases is SIGKILLed.

A starts first and takes every lease; B joins; neither ingests (two ``anxin devices ingest``
workers share the subscription). One operator's live feed is open on each instance. Measured:
messages stored per second; messages lost; SOS publish → its ``device.event`` on B's feed; kill
→ the first desk offer B makes (read from the event log, which names each event's instance);
SOS without an alarm; alarms queued or offered twice; dispatch timers fired twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import secrets
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import websockets
from sqlalchemy import func, select

from alarms.models import Alarm
from benchmarks.ingest import Target, bench_broker, percentile, publish_traffic
from benchmarks.instances import (
    ClusterConfig,
    Process,
    pendant_id,
    prepare_database,
    start_ingest_worker,
    start_instance,
    until_ready,
)
from callcenter.routing.models import RoutingTask
from cluster.models import BusLogEntry
from devices import credentials
from devices.models import DeviceReading, StoredDeviceEvent
from dispatch.models import DispatchTimer, OrderTransition
from storage.engine import create_engine, create_sessionmaker
from storage.throwaway_postgres import ThrowawayPostgres

PASSWORD = secrets.token_urlsafe(12)
SOS_EVERY = 100  # 1 %
TELEMETRY_DEVICES = 500


def cluster_message(seq: int, device_id: str, *, sos_devices: int) -> tuple[str, bytes]:
    """Telemetry, or every 100th an SOS from a pendant of its own (one alarm per SOS); the
    event id carries its send time for the feed's latency."""
    now = time.time()
    # Measured now (the ingest keeps nothing older than a model's window); a device sends a
    # few a second, so its readings' times stay distinct.
    ts = datetime.fromtimestamp(now, UTC).isoformat()
    if seq % SOS_EVERY == 0:
        pendant = pendant_id(seq // SOS_EVERY % sos_devices)
        body: dict[str, Any] = {"event_id": f"c{seq}-{now * 1000:.1f}", "ts": ts,
                                "type": "sos", "detail": {}}
        return f"anxin/v1/devices/{pendant}/event", json.dumps(body).encode()
    body = {"ts": ts, "values": {"heart_rate": 60 + seq % 40}, "seq": seq}
    return f"anxin/v1/devices/{device_id}/telemetry", json.dumps(body).encode()


@dataclass
class FeedLog:
    """What one operator's live feed showed: SOS device events by arrival."""

    arrivals: dict[str, float] = field(default_factory=dict)


async def _feed(base: str, username: str, log: FeedLog, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        login = await http.post("/api/v1/auth/login",
                                json={"username": username, "password": PASSWORD})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        (await http.post("/api/v1/routing/me/state", json={"state": "available"},
                         headers=headers)).raise_for_status()
    async with websockets.connect(base.replace("http", "ws") + "/api/v1/live",
                                  additional_headers=headers, max_queue=None) as feed:
        await feed.recv()
        while not stop.is_set():
            try:
                message = json.loads(await asyncio.wait_for(feed.recv(), 0.5))
            except TimeoutError:
                continue
            if message.get("topic") == "device.event":
                log.arrivals.setdefault(str(message["data"]["event_id"]), time.time())


async def _until_consuming(database_url: str, *, workers: int, within: float = 180.0) -> None:
    """Until that many ingest workers said on the feed that they consume (their sessions
    exist, so nothing published from now on is dropped)."""
    deadline = time.monotonic() + within
    engine = create_engine(database_url)
    try:
        while time.monotonic() < deadline:
            async with create_sessionmaker(engine)() as session:
                said = (await session.execute(select(BusLogEntry.origin, BusLogEntry.data).where(
                    BusLogEntry.topic == "ingest.health"))).all()
            if len({origin for origin, data in said if data.get("consuming")}) >= workers:
                return
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()
    raise TimeoutError(f"{workers} ingest workers not consuming after {within} s")


async def _until_processed(database_url: str, within: float = 60.0) -> None:
    """Until the rules feed has looked at every stored device event (or ``within`` s)."""
    deadline = time.monotonic() + within
    engine = create_engine(database_url)
    try:
        while time.monotonic() < deadline:
            async with create_sessionmaker(engine)() as session:
                left = await session.scalar(select(func.count()).select_from(
                    StoredDeviceEvent).where(StoredDeviceEvent.processed_at.is_(None)))
            if not left:
                return
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


async def _stored(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            readings = await session.scalar(select(func.count()).select_from(DeviceReading))
            events = await session.scalar(select(func.count()).select_from(StoredDeviceEvent))
        return int(readings or 0) + int(events or 0)
    finally:
        await engine.dispose()


async def _until_stored(database_url: str, expected: int, quiet: float = 15.0) -> float:
    """Poll until ``expected`` messages are stored or nothing moved for ``quiet`` s; when."""
    last, since = -1, time.monotonic()
    while True:
        stored = await _stored(database_url)
        if stored >= expected:
            return time.time()
        if stored != last:
            last, since = stored, time.monotonic()
        elif time.monotonic() - since > quiet:
            return time.time()
        await asyncio.sleep(0.5)


def _burst(target: Target, *, rate: float, seconds: float, sos_devices: int) -> int:
    make = functools.partial(cluster_message, sos_devices=sos_devices)
    return publish_traffic(target, publishers=2, devices=TELEMETRY_DEVICES, rate=rate,
                           seconds=seconds, make=make).sent


async def _outcome(database_url: str, *, killed_at: float, survivor: Process,
                   sos_devices_used: set[str]) -> dict[str, Any]:
    """What the database says after the run: failover, lost alarms, double offers/timers."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            offers = (await session.execute(select(BusLogEntry.origin, BusLogEntry.at,
                                                   BusLogEntry.data).where(
                BusLogEntry.topic == "routing.offer"))).all()
            alarmed = set((await session.scalars(select(Alarm.device_id).where(
                Alarm.kind == "sos"))).all())
            unprocessed = await session.scalar(select(func.count()).select_from(
                StoredDeviceEvent).where(StoredDeviceEvent.processed_at.is_(None)))
            tasks_per_ref = Counter((await session.scalars(select(RoutingTask.ref).where(
                RoutingTask.ref.like("alarm:%")))).all())
            # Each fired offer expiry moves its order on once: more moves than fired timers
            # for an order means a timer fired twice.
            moves = Counter((await session.scalars(select(OrderTransition.order_id).where(
                OrderTransition.event == "offer_expired"))).all())
            fired = Counter((await session.scalars(select(DispatchTimer.order_id).where(
                DispatchTimer.kind == "offer_expiry",
                DispatchTimer.fired_at.is_not(None)))).all())
    finally:
        await engine.dispose()
    marker = f"-{survivor.popen.pid}-"
    after = sorted(at.timestamp() for origin, at, _ in offers
                   if marker in origin and at.timestamp() >= killed_at)
    same = Counter(json.dumps(data, sort_keys=True) for _, _, data in offers)
    return {
        "failover_s": round(after[0] - killed_at, 2) if after else None,
        "alarms_lost": len(sos_devices_used - alarmed),
        "sos_unprocessed": int(unprocessed or 0),  # stored, not yet seen by the rules feed
        "double_offered": sum(1 for n in same.values() if n > 1)
        + sum(1 for n in tasks_per_ref.values() if n > 1),
        "timers_fired_twice": sum(max(0, n - fired[order]) for order, n in moves.items()),
        "timers_fired": sum(fired.values()),
    }


async def run(*, rate: float, seconds: float, second_burst: float) -> dict[str, Any]:
    sos_total = int((seconds + second_burst) * rate / SOS_EVERY) + 10
    with tempfile.TemporaryDirectory(prefix="anxin-cluster-bench-") as scratch:
        workdir = Path(scratch)
        server = ThrowawayPostgres(port=_free_port())
        database_url = server.start()
        processes: list[Process] = []
        try:
            await prepare_database(database_url, pendants=sos_total,
                                   operators=["op-a", "op-b"], password=PASSWORD,
                                   watches=TELEMETRY_DEVICES)
            service_password = credentials.service_password(workdir / "ingest")
            with bench_broker(workdir, None, service_password) as target:
                mqtt = {"ANXIN_MQTT_URL": f"mqtt://{credentials.SERVICE_USERNAME}:"
                                          f"{service_password}@{target.host}:{target.port}"}
                config = ClusterConfig(database_url, workdir)
                no_ingest = {"ANXIN_MQTT_ENABLED": "false"}
                a = start_instance(config, "a", no_ingest)
                processes.append(a)
                await until_ready(a, holding="routing_loop")
                b = start_instance(config, "b", no_ingest)
                processes.append(b)
                await until_ready(b)
                processes += [start_ingest_worker(config, n, mqtt) for n in (1, 2)]
                await _until_consuming(database_url, workers=2)
                return await _measure(database_url, target, a, b, rate=rate, seconds=seconds,
                                      second_burst=second_burst, sos_devices=sos_total)
        finally:
            for process in processes:
                process.stop()
            server.stop()


async def _measure(database_url: str, target: Target, a: Process, b: Process, *, rate: float,
                   seconds: float, second_burst: float, sos_devices: int) -> dict[str, Any]:
    stop = asyncio.Event()
    logs = {"a": FeedLog(), "b": FeedLog()}
    feeds = [asyncio.create_task(_feed(a.url, "op-a", logs["a"], stop)),
             asyncio.create_task(_feed(b.url, "op-b", logs["b"], stop))]
    await asyncio.sleep(3)
    started = time.time()
    sent = await asyncio.to_thread(_burst, target, rate=rate, seconds=seconds,
                                   sos_devices=sos_devices)
    drained = await _until_stored(database_url, sent)
    first_stored = await _stored(database_url)
    accepted = first_stored / max(drained - started, 1e-6)
    second = asyncio.create_task(asyncio.to_thread(
        _burst, target, rate=rate, seconds=second_burst, sos_devices=sos_devices))
    await asyncio.sleep(second_burst / 2)
    a.kill()
    killed_at = time.time()
    sent += await second
    await _until_stored(database_url, sent)
    await _until_processed(database_url)  # the survivor's rules feed finished the backlog
    stop.set()
    await asyncio.gather(*feeds, return_exceptions=True)
    latencies = [arrived - float(event_id.split("-")[1]) / 1000
                 for event_id, arrived in logs["b"].arrivals.items()]
    outcome = await _outcome(database_url, killed_at=killed_at, survivor=b,
                             sos_devices_used=_sos_sent(sent, sos_devices))
    return {"bench": "cluster", "offered_msg_s": rate, "sent": sent,
            "accepted_msg_s": round(accepted, 1), "lost": max(0, sent -
                                                              await _stored(database_url)),
            "publish_to_feed_ms": {"p50": percentile(latencies, 0.5),
                                   "p99": percentile(latencies, 0.99)},
            **outcome,
            "targets": {"lost": 0, "publish_to_feed_ms.p99": 500, "failover_s": 10,
                        "alarms_lost": 0, "double_offered": 0, "timers_fired_twice": 0}}


def _sos_sent(sent: int, sos_devices: int) -> set[str]:
    """The pendants that sent an SOS: sequence numbers run 0..sent across two publishers."""
    return {pendant_id(seq // SOS_EVERY % sos_devices) for seq in range(0, sent, SOS_EVERY)}


def _free_port() -> int:
    from devices import mosquitto

    return mosquitto.free_port()


def command(
    rate: Annotated[float, typer.Option(min=1, help="messages per second offered")] = 2000,
    seconds: Annotated[float, typer.Option(min=1, help="first burst")] = 30,
    second_burst: Annotated[float, typer.Option(
        min=2, help="second burst; the lease holder is killed half-way")] = 10,
) -> None:
    """Two instances, two ingest workers, SIGKILL of the lease holder; one JSON line."""
    with contextlib.suppress(KeyboardInterrupt):
        typer.echo(json.dumps(asyncio.run(run(rate=rate, seconds=seconds,
                                              second_burst=second_burst))))
