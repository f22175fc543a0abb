"""``anxin bench cluster``: two app instances, two ingest workers, one PostgreSQL and one
Mosquitto on this machine; a telemetry burst with 1 % SOS, then a second burst during which the
instance holding the leases is SIGKILLed.

A starts first and takes every lease; B joins; neither ingests (two ``anxin devices ingest``
workers share the subscription). One operator's live feed is open on each instance. Service
orders placed before the second burst (benchmarks/cluster_orders.py) keep offer-expiry timers
falling due across the kill. Measured: messages stored per second; messages lost; SOS publish →
its ``device.event`` on B's feed, per window (first burst, second burst before and after the
kill); kill → the first desk offer B makes (read from the event log, which names each event's
instance); SOS without an alarm; alarms queued or offered twice; dispatch timers fired twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import secrets
import shutil
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
from sqlalchemy import ScalarResult, func, select

from alarms.models import Alarm
from benchmarks import cluster_orders
from benchmarks.ingest import PublishReport, Target, bench_broker, percentile, publish_traffic
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
from cluster.models import BusLogEntry, ClusterLease
from devices import credentials
from devices.models import DeviceReading, StoredDeviceEvent
from dispatch.models import DispatchTimer, OrderTransition
from storage.engine import create_engine, create_sessionmaker
from storage.throwaway_postgres import ThrowawayPostgres

PASSWORD = secrets.token_urlsafe(12)
SOS_EVERY = 100  # 1 %
TELEMETRY_DEVICES = 500


def cluster_message(seq: int, device_id: str, *, sos_devices: int,
                    first_seq: int = 0) -> tuple[str, bytes]:
    """Telemetry, or every 100th an SOS from a pendant of its own (one alarm per SOS); the
    event id carries its send time for the feed's latency. Each burst's publishers count from
    0, so a later burst starts its numbers at ``first_seq``: its SOS come from pendants that
    have not sent one yet (a repeat would join the open alarm of the first and raise none)."""
    seq += first_seq
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


async def _unqueued(database_url: str) -> int:
    """SOS alarms with no desk task: raised, but not (yet) before an operator."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            alarms = set((await session.scalars(select(Alarm.id).where(
                Alarm.kind == "sos"))).all())
            queued = set((await session.scalars(select(RoutingTask.ref).where(
                RoutingTask.ref.like("alarm:%")))).all())
        return len({f"alarm:{alarm_id}" for alarm_id in alarms} - queued)
    finally:
        await engine.dispose()


async def _until_queued(database_url: str, within: float = 60.0) -> int:
    """Until every SOS alarm is a desk task (or ``within`` s); how many are not."""
    deadline = time.monotonic() + within
    while True:
        left = await _unqueued(database_url)
        if not left or time.monotonic() >= deadline:
            return left
        await asyncio.sleep(0.5)


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


def _burst(target: Target, *, rate: float, seconds: float, sos_devices: int,
           first_seq: int = 0) -> PublishReport:
    make = functools.partial(cluster_message, sos_devices=sos_devices, first_seq=first_seq)
    return publish_traffic(target, publishers=2, devices=TELEMETRY_DEVICES, rate=rate,
                           seconds=seconds, make=make)


async def _outcome(database_url: str, *, killed_at: float, survivor: Process) -> dict[str, Any]:
    """What the database says after the run: failover, lost alarms, double offers/timers."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            offers = (await session.execute(select(BusLogEntry.origin, BusLogEntry.at,
                                                   BusLogEntry.data).where(
                BusLogEntry.topic == "routing.offer"))).all()
            alarmed = set((await session.scalars(select(Alarm.device_id).where(
                Alarm.kind == "sos"))).all())
            # Each SOS comes from a pendant of its own, so a stored SOS whose pendant has no
            # alarm is an alarm lost after the ingest acknowledged it (one never stored is
            # counted in ``lost``).
            sos_stored = set((await session.scalars(select(StoredDeviceEvent.device_id).where(
                StoredDeviceEvent.type == "sos"))).all())
            unprocessed = await session.scalar(select(func.count()).select_from(
                StoredDeviceEvent).where(StoredDeviceEvent.processed_at.is_(None)))
            tasks_per_ref = Counter((await session.scalars(select(RoutingTask.ref).where(
                RoutingTask.ref.like("alarm:%")))).all())
            # Each fired offer expiry moves its order on once: more moves than fired timers
            # for an order means a timer fired twice.
            moves = Counter((await session.scalars(select(OrderTransition.order_id).where(
                OrderTransition.event == "offer_expired"))).all())
            fired_rows = (await session.execute(select(DispatchTimer.order_id,
                                                       DispatchTimer.fired_at).where(
                DispatchTimer.kind == "offer_expiry",
                DispatchTimer.fired_at.is_not(None)))).all()
            fired = Counter(order_id for order_id, _ in fired_rows)
    finally:
        await engine.dispose()
    marker = f"-{survivor.popen.pid}-"
    after = sorted(at.timestamp() for origin, at, _ in offers
                   if marker in origin and at.timestamp() >= killed_at)
    same = Counter(json.dumps(data, sort_keys=True) for _, _, data in offers)
    return {
        "failover_s": round(after[0] - killed_at, 2) if after else None,
        "sos_stored": len(sos_stored),
        "alarms_lost": len(sos_stored - alarmed),
        "sos_unprocessed": int(unprocessed or 0),  # stored, not yet seen by the rules feed
        "double_offered": sum(1 for n in same.values() if n > 1)
        + sum(1 for n in tasks_per_ref.values() if n > 1),
        "timers_fired_twice": sum(max(0, n - fired[order]) for order, n in moves.items()),
        "timers_fired": sum(fired.values()),
        "timers_fired_after_kill": sum(1 for _, at in fired_rows
                                       if at is not None and at.timestamp() >= killed_at),
    }


async def _evidence(database_url: str, *, killed_at: float) -> dict[str, Any]:
    """For ``--keep``: the lease rows, who offered what before and after the kill, the desk's
    tasks by state: what explains a failover number."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            leases = [{"name": row.name, "holder": row.holder, "generation": row.generation,
                       "taken_at": row.taken_at.isoformat(),
                       "expires_at": row.expires_at.isoformat()}
                      for row in (await session.scalars(select(ClusterLease))).all()]
            offers = (await session.execute(select(BusLogEntry.origin, BusLogEntry.at).where(
                BusLogEntry.topic == "routing.offer"))).all()
            tasks = (await session.execute(select(RoutingTask.state, func.count()).group_by(
                RoutingTask.state))).all()
            killed = datetime.fromtimestamp(killed_at, UTC)
            timeline: dict[str, ScalarResult[datetime | None]] = {
                "sos_received": await session.scalars(select(StoredDeviceEvent.received_at).where(
                    StoredDeviceEvent.type == "sos", StoredDeviceEvent.received_at >= killed)),
                # In the transaction that raised the alarm.
                "sos_processed": await session.scalars(select(
                    StoredDeviceEvent.processed_at).where(
                    StoredDeviceEvent.type == "sos", StoredDeviceEvent.processed_at >= killed)),
                "task_created": await session.scalars(select(RoutingTask.created_at).where(
                    RoutingTask.created_at >= killed)),
                "offer_logged": await session.scalars(select(BusLogEntry.at).where(
                    BusLogEntry.topic == "routing.offer", BusLogEntry.at >= killed)),
            }
            # Seconds after the kill of the first, the tenth and the last of each step.
            after_kill = {name: _spread(sorted((at - killed).total_seconds()
                                               for at in times if at is not None))
                          for name, times in timeline.items()}
    finally:
        await engine.dispose()
    by_origin = Counter((origin, "after" if at.timestamp() >= killed_at else "before")
                        for origin, at in offers)
    return {"killed_at": datetime.fromtimestamp(killed_at, UTC).isoformat(), "leases": leases,
            "offers": [{"origin": origin, "when": when, "count": n}
                       for (origin, when), n in sorted(by_origin.items())],
            "tasks_by_state": {str(state): int(n) for state, n in tasks},
            "seconds_after_kill": after_kill}


def _spread(seconds: list[float]) -> dict[str, float | int | None]:
    def at(index: int) -> float | None:
        return round(seconds[index], 2) if len(seconds) > abs(index) else None
    return {"count": len(seconds), "first": at(0), "tenth": at(9), "last": at(-1)}


def _write_evidence(keep: Path, evidence: dict[str, Any]) -> None:
    keep.mkdir(parents=True, exist_ok=True)
    (keep / "evidence.json").write_text(json.dumps(evidence, indent=1))


def _keep_logs(workdir: Path, keep: Path | None) -> None:
    if keep is None:
        return
    keep.mkdir(parents=True, exist_ok=True)
    for log in workdir.glob("*.log"):
        shutil.copy(log, keep / log.name)


async def run(*, rate: float, seconds: float, second_burst: float, orders: int = 20,
              offer_seconds: float = 3.0, keep: Path | None = None) -> dict[str, Any]:
    sos_total = int((seconds + second_burst) * rate / SOS_EVERY) + 20
    with tempfile.TemporaryDirectory(prefix="anxin-cluster-bench-") as scratch:
        workdir = Path(scratch)
        server = ThrowawayPostgres(port=_free_port())
        database_url = server.start()
        processes: list[Process] = []
        try:
            seniors = await prepare_database(database_url, pendants=sos_total,
                                             operators=["op-a", "op-b"], password=PASSWORD,
                                             watches=TELEMETRY_DEVICES,
                                             dispatchers=(cluster_orders.DISPATCHER,))
            service_password = credentials.service_password(workdir / "ingest")
            with bench_broker(workdir, None, service_password) as target:
                mqtt = {"ANXIN_MQTT_URL": f"mqtt://{credentials.SERVICE_USERNAME}:"
                                          f"{service_password}@{target.host}:{target.port}"}
                config = ClusterConfig(database_url, workdir)
                no_ingest = {"ANXIN_MQTT_ENABLED": "false",
                             "ANXIN_DISPATCH_OFFER_TIMEOUT_SAME_DAY_S": str(offer_seconds)}
                a = start_instance(config, "a", no_ingest)
                processes.append(a)
                await until_ready(a, holding="routing_loop")
                b = start_instance(config, "b", no_ingest)
                processes.append(b)
                await until_ready(b)
                processes += [start_ingest_worker(config, n, mqtt) for n in (1, 2)]
                await _until_consuming(database_url, workers=2)
                return await _measure(database_url, target, a, b, rate=rate, seconds=seconds,
                                      second_burst=second_burst, sos_devices=sos_total,
                                      order_seniors=seniors[:orders], keep=keep)
        finally:
            for process in processes:
                process.stop()
            _keep_logs(workdir, keep)
            server.stop()


async def _measure(database_url: str, target: Target, a: Process, b: Process, *, rate: float,
                   seconds: float, second_burst: float, sos_devices: int,
                   order_seniors: list[int], keep: Path | None) -> dict[str, Any]:
    stop = asyncio.Event()
    logs = {"a": FeedLog(), "b": FeedLog()}
    feeds = [asyncio.create_task(_feed(a.url, "op-a", logs["a"], stop)),
             asyncio.create_task(_feed(b.url, "op-b", logs["b"], stop))]
    async with httpx.AsyncClient(base_url=a.url, timeout=60) as http:
        dispatcher = await cluster_orders.login(http, PASSWORD)
        await cluster_orders.add_providers(http, dispatcher)
    await asyncio.sleep(3)
    load_before = os.getloadavg()[0]
    first = await asyncio.to_thread(_burst, target, rate=rate, seconds=seconds,
                                    sos_devices=sos_devices)
    sent = first.sent
    drained = await _until_stored(database_url, sent)
    first_stored = await _stored(database_url)
    # From the first message published (not the publishers' start-up) to the last stored.
    accepted = first_stored / max(drained - first.began, 1e-6)
    async with httpx.AsyncClient(base_url=a.url, timeout=60) as http:
        placed = await cluster_orders.place_orders(http, dispatcher, order_seniors)
    second = asyncio.create_task(asyncio.to_thread(
        _burst, target, rate=rate, seconds=second_burst, sos_devices=sos_devices,
        first_seq=(sent // SOS_EVERY + 2) * SOS_EVERY))
    # Half-way through the burst as stored, not as started: on a busy machine the publishers'
    # start-up alone took longer than half the burst, and A died before the burst began.
    await _until_stored(database_url, sent + 1, quiet=60.0)
    await asyncio.sleep(second_burst / 2)
    a.kill()
    killed_at = time.time()
    second_report = await second
    sent += second_report.sent
    await _until_stored(database_url, sent)
    await _until_processed(database_url)  # the survivor's rules feed finished the backlog
    unqueued = await _until_queued(database_url)  # and its desk queued every alarm
    timers_left = await cluster_orders.until_timers_fired(database_url)
    stop.set()
    await asyncio.gather(*feeds, return_exceptions=True)
    windows = feed_windows(logs["b"], second_began=second_report.began, killed_at=killed_at)
    outcome = await _outcome(database_url, killed_at=killed_at, survivor=b)
    if keep is not None:
        evidence = await _evidence(database_url, killed_at=killed_at)
        _write_evidence(keep, {**evidence, "a": a.popen.pid, "b": b.popen.pid})
    return {"bench": "cluster", "offered_msg_s": rate, "sent": sent,
            "accepted_msg_s": round(accepted, 1),
            # What the publishers achieved over the first burst, and how long after its last
            # PUBACK the ingest had stored everything (backpressure shows as a long drain).
            "published_msg_s": round(first.sent / max(first.ended - first.began, 1e-6), 1),
            "drain_after_publish_s": round(drained - first.ended, 2),
            "lost": max(0, sent - await _stored(database_url)),
            **windows, **outcome, "alarms_unqueued": unqueued,
            "orders": placed, "timers_unfired": timers_left,
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "targets": {"lost": 0, "publish_to_feed_ms.p99": 500, "failover_s": 10,
                        "alarms_lost": 0, "alarms_unqueued": 0, "double_offered": 0,
                        "timers_fired_twice": 0}}


def feed_windows(log: FeedLog, *, second_began: float, killed_at: float
                  ) -> dict[str, dict[str, float | int | None]]:
    """SOS publish → its ``device.event`` on B's feed, by when the SOS was sent: in the first
    burst (the steady state the issue's target is about), in the second burst before the
    kill, and after it (while B takes the leases over and catches up)."""
    windows: dict[str, list[float]] = {"publish_to_feed_ms": [],
                                       "publish_to_feed_before_kill_ms": [],
                                       "publish_to_feed_after_kill_ms": []}
    for event_id, arrived in log.arrivals.items():
        sent = float(event_id.split("-")[1]) / 1000
        name = ("publish_to_feed_ms" if sent < second_began
                else "publish_to_feed_before_kill_ms" if sent < killed_at
                else "publish_to_feed_after_kill_ms")
        windows[name].append(arrived - sent)  # seconds; percentile() gives ms
    return {name: {"count": len(values), "p50": percentile(values, 0.5),
                   "p99": percentile(values, 0.99)} for name, values in windows.items()}


def _free_port() -> int:
    from devices import mosquitto

    return mosquitto.free_port()


def command(
    rate: Annotated[float, typer.Option(min=1, help="messages per second offered")] = 2000,
    seconds: Annotated[float, typer.Option(min=1, help="first burst")] = 30,
    second_burst: Annotated[float, typer.Option(
        min=2, help="second burst; the lease holder is killed half-way")] = 10,
    orders: Annotated[int, typer.Option(
        min=0, help="service orders placed before the second burst (nobody answers)")] = 20,
    offer_seconds: Annotated[float, typer.Option(
        min=0.5, help="how long each of their offers stays open")] = 3.0,
    keep: Annotated[Path | None, typer.Option(
        help="copy the instances' logs and the lease/offer rows into this folder")] = None,
) -> None:
    """Two instances, two ingest workers, SIGKILL of the lease holder; one JSON line."""
    with contextlib.suppress(KeyboardInterrupt):
        typer.echo(json.dumps(asyncio.run(run(rate=rate, seconds=seconds,
                                              second_burst=second_burst, orders=orders,
                                              offer_seconds=offer_seconds, keep=keep))))
